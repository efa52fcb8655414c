"""Who a request is: the Bearer token (authentication), the JWKS key cache (jwks) and the
token's shape before any key is chosen (token_shape): simplejwt's three-way split."""
