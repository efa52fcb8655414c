// A real Better Auth (1.7.25, jwt plugin, memory adapter) for the backend's tests.
//
// Usage: node server.mjs [--alg EdDSA|ES256|RS256|PS256]
// Env:   BETTER_AUTH_SECRET, BETTER_AUTH_URL (default http://localhost:3000),
//        BETTER_AUTH_JWT_ALG (used when --alg is absent; default EdDSA).
//
// Prints one JSON line on stdout when ready:
//   {"control": "http://127.0.0.1:P1", "jwks": "http://127.0.0.1:P2/api/auth/jwks", ...}
// The control port serves Better Auth's own /api/auth/* plus the /test/* endpoints.
// The second port serves only the JWKS (through the same Better Auth handler) so a
// test can close it and reopen it on the same port: a JWKS outage while the keys,
// users and sessions stay in this process's memory.
import http from "node:http";
import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { createJwk, jwt, resolveSigningKey } from "better-auth/plugins/jwt";
import { SignJWT } from "jose";

// jose's generateKeyPair options per alg, as the plugin's `jwks.keyPairConfig` takes them.
const KEY_PAIR_CONFIGS = {
  EdDSA: { alg: "EdDSA", crv: "Ed25519" },
  ES256: { alg: "ES256", crv: "P-256" },
  RS256: { alg: "RS256", modulusLength: 2048 },
  PS256: { alg: "PS256", modulusLength: 2048 },
};

function chosenAlg(argv) {
  const i = argv.indexOf("--alg");
  const alg = i >= 0 ? argv[i + 1] : process.env.BETTER_AUTH_JWT_ALG || "EdDSA";
  if (!(alg in KEY_PAIR_CONFIGS)) {
    console.error(`unsupported --alg ${alg}; use one of ${Object.keys(KEY_PAIR_CONFIGS).join(", ")}`);
    process.exit(2);
  }
  return alg;
}

const alg = chosenAlg(process.argv.slice(2));
const secret = process.env.BETTER_AUTH_SECRET || "better-auth-harness-dev-secret-0123456789";
const baseURL = process.env.BETTER_AUTH_URL || "http://localhost:3000";
// Better Auth takes a non-root path of baseURL as its basePath (…/app serves /app/jwks).
const urlPath = new URL(baseURL).pathname.replace(/\/+$/, "");
const authPath = urlPath || "/api/auth";
const jwksPath = `${authPath}/jwks`;

// The same object goes to jwt() and to createJwk/resolveSigningKey, exactly as the
// plugin passes its own options to them internally.
const jwtOptions = { jwks: { keyPairConfig: KEY_PAIR_CONFIGS[alg] } };

const db = { user: [], session: [], account: [], verification: [], jwks: [] };
const auth = betterAuth({
  secret,
  baseURL,
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  plugins: [jwt(jwtOptions)],
  // stdout carries only the ready line; Better Auth's warnings go to stderr.
  logger: { log: (level, message, ...args) => console.error(`[better-auth ${level}]`, message, ...args) },
});
const authHandler = toNodeHandler(auth);

// ---- JWKS listener (can go down and come back on the same port) -------------------

let jwksRequests = 0;
let jwksPort = 0;
const jwksServer = http.createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (req.method !== "GET" || path !== jwksPath) return sendJSON(res, 404, { error: "not found" });
  jwksRequests += 1;
  authHandler(req, res);
});

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

async function stopJwks() {
  if (!jwksServer.listening) return;
  const closed = new Promise((resolve) => jwksServer.close(resolve));
  // Keep-alive sockets would otherwise keep answering: an outage must refuse at once.
  jwksServer.closeAllConnections();
  await closed;
}

async function startJwks() {
  if (!jwksServer.listening) await listen(jwksServer, jwksPort);
}

// ---- control endpoints ------------------------------------------------------------

let controlOrigin = "";
const sessionCookies = new Map(); // user id -> session cookie, for /test/token
let lastUserId = null;

async function authContext() {
  // What createJwk/resolveSigningKey read: ctx.context.adapter and ctx.context.secretConfig.
  return { context: await auth.$context };
}

function randomId(n = 12) {
  return randomBytes(n).toString("hex").slice(0, n);
}

async function createUser({ email, name, password }) {
  email = email || `user-${randomId()}@example.com`;
  name = name || "Test User";
  password = password || "correct-horse-battery-staple";
  const signUp = await fetch(`${controlOrigin}${authPath}/sign-up/email`, {
    method: "POST",
    // A browser on the frontend sends its Origin; Better Auth 1.7 refuses a cookie-less
    // POST without one (403 MISSING_OR_NULL_ORIGIN).
    headers: { "content-type": "application/json", origin: new URL(baseURL).origin },
    body: JSON.stringify({ email, name, password }),
  });
  if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
  const user = (await signUp.json()).user;
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  sessionCookies.set(user.id, cookie);
  lastUserId = user.id;
  return { sub: user.id, token: await fetchToken(user.id), email: user.email, name: user.name, cookie };
}

async function fetchToken(userId) {
  const cookie = sessionCookies.get(userId);
  if (!cookie) throw new HttpError(404, `no session for user ${userId}`);
  const res = await fetch(`${controlOrigin}${authPath}/token`, { headers: { cookie } });
  if (!res.ok) throw new Error(`/token failed: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

async function rotate() {
  const ctx = await authContext();
  // The plugin picks the newest key by createdAt (ms); a key made in the same ms as the
  // current one could lose that tie, so let the clock move first.
  await new Promise((r) => setTimeout(r, 3));
  const key = await createJwk(ctx, jwtOptions);
  return { kid: key.id };
}

// Signs arbitrary claims with the plugin's current signing key. The defaults mirror
// the plugin's signJWT (user row + sub, iat, exp = iat + 15m, iss = aud = baseURL
// origin); an override of null removes that claim, `header` adds header fields.
async function signCustom({ claims = {}, expirationTime, header = {} }) {
  const ctx = await authContext();
  const { alg: keyAlg, kid, privateKey } = await resolveSigningKey(ctx, jwtOptions);
  const now = Math.floor(Date.now() / 1000);
  const sub = claims.sub ?? lastUserId ?? randomId(32);
  const user = await ctx.context.internalAdapter.findUserById(sub).catch(() => null);
  const origin = ctx.context.options.baseURL;
  const payload = { iat: now, ...(user ?? {}), sub, exp: now + 900, iss: origin, aud: origin, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === null) delete payload[k];
  const signer = new SignJWT(payload).setProtectedHeader({ ...header, alg: keyAlg, kid });
  if (expirationTime !== undefined) signer.setExpirationTime(expirationTime);
  return { token: await signer.sign(privateKey), kid, alg: keyAlg };
}

// The Next.js route-handler pattern: jose SignJWT with the secret's UTF-8 bytes.
async function signHS256({ sub, email, name, ttl = 900, claims = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { ...(email !== undefined && { email }), ...(name !== undefined && { name }), ...claims };
  const signer = new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + ttl);
  if (sub !== undefined) signer.setSubject(sub);
  return { token: await signer.sign(new TextEncoder().encode(secret)) };
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const routes = {
  "POST /test/users": createUser,
  "POST /test/token": async ({ sub }) => ({ token: await fetchToken(sub ?? lastUserId) }),
  "POST /test/rotate": rotate,
  "POST /test/sign": signCustom,
  "POST /test/hs256": signHS256,
  "POST /test/jwks/stop": async () => (await stopJwks(), { listening: false }),
  "POST /test/jwks/start": async () => (await startJwks(), { listening: true }),
  "GET /test/jwks/count": async () => ({ count: jwksRequests }),
  "POST /test/jwks/reset-count": async () => ((jwksRequests = 0), { count: 0 }),
};

function sendJSON(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJSON(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return raw ? JSON.parse(raw) : {};
}

const controlServer = http.createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (!path.startsWith("/test/")) return authHandler(req, res);
  const route = routes[`${req.method} ${path}`];
  if (!route) return sendJSON(res, 404, { error: `no route ${req.method} ${path}` });
  try {
    sendJSON(res, 200, await route(await readJSON(req)));
  } catch (err) {
    console.error(err);
    sendJSON(res, err.status ?? 500, { error: String(err.message ?? err) });
  }
});

// ---- lifecycle ----------------------------------------------------------------------

function shutdown() {
  controlServer.closeAllConnections();
  jwksServer.closeAllConnections();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// The parent holds our stdin: when it dies (even by SIGKILL) stdin closes and we go too.
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();

const controlPort = await listen(controlServer, 0);
controlOrigin = `http://127.0.0.1:${controlPort}`;
jwksPort = await listen(jwksServer, 0);
process.stdout.write(
  JSON.stringify({
    control: controlOrigin,
    jwks: `http://127.0.0.1:${jwksPort}${jwksPath}`,
    alg,
    issuer: new URL(baseURL).origin,
  }) + "\n",
);
