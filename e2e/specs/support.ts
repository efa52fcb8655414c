// What every spec shares: fresh users, the sign-up / sign-in / sign-out steps in the UI, the
// frontend's own auth route handlers, the mails our SMTP server caught, and our backend
// seen directly (to check what the UI stored). Selectors are the original UI's, repaired
// where the original's own specs were stale (see README, "End-to-end").
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const generation = process.env.E2E_GENERATION ?? '';
export const frontendUrl = (process.env.E2E_FRONTEND_URL ?? '').replace(/\/$/, '');
export const backendUrl = (process.env.E2E_BACKEND_URL ?? '').replace(/\/$/, '');
const maildir = process.env.E2E_MAILDIR ?? '';
const out = process.env.E2E_OUT ?? 'out/manual';

export interface User {
  name: string;
  email: string;
  password: string;
}

let counter = 0;
export function newUser(purpose: string): User {
  const id = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return {
    name: `E2E ${purpose}`,
    email: `e2e-${purpose}-${id}@example.com`,
    // Nothing of the e-mail in it: the backend refuses a password too similar to the
    // e-mail address (Django's UserAttributeSimilarityValidator) with a 422.
    password: `Correct-Horse-Battery-${Math.random().toString(36).slice(2, 8)}-9`,
  };
}

/** A screenshot we keep (not only on failure): e2e/out/<generation>/screens/<name>.png */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(out, 'screens', `${name}.png`), fullPage: true });
}

// --- the UI ------------------------------------------------------------------------------

/** The show-password button is labelled "Show password": the field's label, matched
 * exactly, is the only way to reach the input (the original's /password/i matched both). */
export function passwordField(page: Page) {
  return page.getByLabel('Password', { exact: true });
}

/** The register page's form filled in and its terms box ticked, not yet submitted. */
export async function fillRegistration(page: Page, user: User): Promise<void> {
  await page.goto('/register');
  await expect(page.getByRole('heading', { name: /create your account/i })).toBeVisible();
  await page.getByLabel('Full Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await passwordField(page).fill(user.password);
  await page.getByLabel('Confirm Password').fill(user.password);
  // The terms box is required by the form's schema. Its <input> is visually hidden (sr-only);
  // a user clicks the box drawn next to it, which clicks the input.
  const terms = page.getByRole('checkbox', { name: /i agree to the/i });
  await terms.locator('xpath=following-sibling::div[1]').click();
  await expect(terms).toBeChecked();
}

export async function registerInUi(page: Page, user: User): Promise<void> {
  await fillRegistration(page, user);
  await page.getByRole('button', { name: 'Create Account' }).click();
  await expectDashboard(page, user);
}

export async function loginInUi(page: Page, user: User, password = user.password): Promise<void> {
  await page.goto('/login');
  await fillLogin(page, user.email, password);
  await expectDashboard(page, user);
}

export async function fillLogin(page: Page, email: string, password: string): Promise<void> {
  await expect(page.getByRole('heading', { name: /welcome back/i })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await passwordField(page).fill(password);
  await page.getByRole('button', { name: 'Sign In', exact: true }).click();
}

export async function expectDashboard(page: Page, user: User): Promise<void> {
  await expect(page).toHaveURL(/\/dashboard$/, { timeout: 20_000 });
  await expect(page.getByRole('heading', { name: new RegExp(`good (morning|afternoon|evening), ${user.name}!`, 'i') }))
    .toBeVisible();
}

/** The header's user menu (a button named after the user) holds "Sign Out". */
export async function logoutInUi(page: Page, user: User): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: user.name }).click();
  await page.getByRole('button', { name: 'Sign Out' }).click();
  // logout() pushes "/", but the dashboard's ProtectedRoute, seeing no user, pushes /login
  // first; either is signed out.
  await expect(page).toHaveURL(new RegExp(`^${escape(frontendUrl)}/(login)?$`));
  const stored = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('user')]);
  expect(stored).toEqual([null, null]);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- the frontend's own route handlers (the Next server forwards to our /auth/*) ---------

export async function registerViaFrontend(request: APIRequestContext, user: User): Promise<{ id: string; token: string }> {
  const response = await request.post(`${frontendUrl}/api/auth/register`, {
    data: { name: user.name, email: user.email, password: user.password },
  });
  const body = await response.json();
  expect(response.status(), JSON.stringify(body)).toBe(201);
  expect(body.user).toMatchObject({ email: user.email, name: user.name });
  expect(typeof body.user.id).toBe('string');
  return { id: body.user.id, token: body.token };
}

// --- mail caught by the SMTP server e2e/run started -------------------------------------

/** The newest mail to `to` in the maildir, decoded (quoted-printable or base64 bodies). */
export async function waitForMail(to: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails: { mtime: number; text: string }[] = [];
    for (const folder of ['new', 'cur']) {
      const dir = path.join(maildir, folder);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(dir, name);
        const [raw, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
        const recipients = /^To:\s*(.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? '';
        if (recipients.toLowerCase().includes(to.toLowerCase())) mails.push({ mtime: stat.mtimeMs, text: decodeMail(raw) });
      }
    }
    if (mails.length) return mails.sort((a, b) => b.mtime - a.mtime)[0].text;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${maildir} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function decodeMail(raw: string): string {
  let text = raw;
  if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(raw)) {
    text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
  if (/Content-Transfer-Encoding:\s*base64/i.test(raw)) {
    const body = raw.split(/\r?\n\r?\n/).slice(1).join('\n');
    text += '\n' + Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return text;
}

export function resetLinkIn(mail: string): URL {
  const match = /(https?:\/\/[^\s"'<>]+\/reset-password\?token=[^\s"'<>]+)/.exec(mail);
  if (!match) throw new Error(`no reset link in the mail:\n${mail}`);
  return new URL(match[1].replace(/&amp;/g, '&'));
}

// --- our backend, seen directly ---------------------------------------------------------

/** The task list as our backend has it for the user signed in on `page` (both shapes). */
export async function tasksInBackend(page: Page, request: APIRequestContext): Promise<any[]> {
  const [token, userJson] = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('user')]);
  expect(token, 'a token in localStorage').toBeTruthy();
  const user = JSON.parse(userJson ?? '{}');
  const response = await request.get(`${backendUrl}/api/${user.id}/tasks`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status()).toBe(200);
  const body = await response.json();
  return Array.isArray(body) ? body : body.tasks;
}
