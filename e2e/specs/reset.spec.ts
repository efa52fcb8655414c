// Forgot / reset password. The original's forgot and reset pages only simulate the call (its
// AuthProvider never posts), so the two steps go through the frontend's own route handlers
// (POST /api/auth/forgot-password and /api/auth/reset-password on the Next server, which
// forward to our /auth/*), with the link taken from the mail our real SMTP server caught.
// Then the new password signs in, in the UI.
import { expect, test } from '@playwright/test';
import {
  fillLogin, frontendUrl, loginInUi, newUser, registerViaFrontend, resetLinkIn, snap, waitForMail,
} from './support';

test('forgot password -> the mailed link -> reset -> sign in with the new password in the UI', async ({ page, request }) => {
  const user = newUser('reset');
  await registerViaFrontend(request, user);
  const stranger = newUser('nobody');

  const forgot = (email: string) => request.post(`${frontendUrl}/api/auth/forgot-password`, { data: { email } });
  const unknownAnswer = await forgot(stranger.email);
  const knownAnswer = await forgot(user.email);
  expect(knownAnswer.status()).toBe(200);
  expect(unknownAnswer.status()).toBe(200);
  // No enumeration: an unknown address gets the same answer, and no mail.
  expect(await unknownAnswer.json()).toEqual(await knownAnswer.json());

  const mail = await waitForMail(user.email);
  await expect(waitForMail(stranger.email, 0)).rejects.toThrow(/no mail/);
  const link = resetLinkIn(mail);
  expect(`${link.origin}${link.pathname}`).toBe(`${frontendUrl}/reset-password`);
  const token = link.searchParams.get('token') ?? '';
  expect(token).not.toBe('');

  await test.step('the link opens the frontend\'s reset page', async () => {
    await page.goto(link.toString());
    await expect(page.getByRole('heading', { name: 'Set new password' })).toBeVisible();
    await snap(page, `${test.info().project.name}-reset-page`);
  });

  const newPassword = `Fresh-Start-${Math.random().toString(36).slice(2, 8)}-7`;
  const reset = (body: object) => request.post(`${frontendUrl}/api/auth/reset-password`, { data: body });
  await test.step('reset through the route handler; the token works once', async () => {
    const done = await reset({ token, new_password: newPassword });
    expect(done.status(), await done.text()).toBe(200);
    expect(typeof (await done.json()).message).toBe('string');
    const again = await reset({ token, new_password: `${newPassword}-again` });
    expect(again.status()).toBe(400);
    expect(typeof (await again.json()).error).toBe('string');
    const forged = await reset({ token: `${token.slice(0, -4)}AAAA`, new_password: newPassword });
    expect(forged.status()).toBe(400);
  });

  await test.step('the old password is refused, the new one signs in, in the UI', async () => {
    await page.goto('/login');
    await fillLogin(page, user.email, user.password);
    await expect(page.getByText('Invalid email or password')).toBeVisible();
    await expect(page).toHaveURL(/\/login$/);
    await loginInUi(page, user, newPassword);
    await snap(page, `${test.info().project.name}-reset-signed-in`);
  });
});

test('the forgot-password page itself sends nothing (the original only simulates it)', async ({ page }) => {
  const user = newUser('forgotpage');
  const sent: string[] = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.url()); });
  await page.goto('/forgot-password');
  await page.getByLabel('Email').fill(user.email);
  await page.getByRole('button', { name: 'Send Reset Link' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  expect(sent.filter((url) => url.includes('/auth/'))).toEqual([]);
});
