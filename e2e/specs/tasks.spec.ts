// Our equivalents of the original's frontend/e2e/tasks.spec.ts, scenario for scenario, for a
// real user on our backend (theirs signed in as test@example.com on a mock that took any
// password). What was repaired relative to theirs is listed in README, "End-to-end".
// One account per group, signed in through the UI before each test: every sign-up through
// the original's Next server comes from one address, which our backend throttles
// (LOGIN_ADDRESS_LIMIT per window, README "End-to-end"), so the suite signs up few.
import { expect, test, type Page } from '@playwright/test';
import { loginInUi, newUser, registerInUi, registerViaFrontend, type User } from './support';
import { card, createTask, deleteTask, dialog, editTask, statusTab, toggleTask } from './tasks-ui';

/** One account for the group (signed up once), signed in through the UI before each test. */
function oneAccount(purpose: string): void {
  let user: User | undefined;
  test.beforeAll(async ({ playwright }) => {
    const request = await playwright.request.newContext();
    user = newUser(purpose);
    await registerViaFrontend(request, user);
    await request.dispose();
  });
  test.beforeEach(async ({ page }) => loginInUi(page, user!));
}

async function expectShown(page: Page, shown: string[], hidden: string[]): Promise<void> {
  for (const title of shown) await expect(card(page, title)).toBeVisible();
  for (const title of hidden) await expect(card(page, title)).toHaveCount(0);
}

test.describe('task CRUD', () => {
  oneAccount('tasks');

  test('the dashboard shows the three stats', async ({ page }) => {
    const main = page.getByRole('main');
    for (const stat of ['Total Tasks', 'Pending', 'Completed']) {
      await expect(main.getByText(stat, { exact: true })).toBeVisible();
    }
  });

  test('the status tabs are shown', async ({ page }) => {
    for (const tab of ['All', 'Pending', 'Completed'] as const) await expect(statusTab(page, tab)).toBeVisible();
  });

  test('"Add Task" opens the create dialog', async ({ page }) => {
    await page.getByRole('button', { name: 'Add Task' }).click();
    await expect(dialog(page)).toBeVisible();
    await expect(dialog(page).getByRole('heading', { name: /create.*task/i })).toBeVisible();
  });

  test('creating a task lists it', async ({ page }) => {
    await createTask(page, { title: 'Test Task from E2E', description: 'This is a test task created by Playwright' });
    await expect(card(page, 'Test Task from E2E').getByText('This is a test task created by Playwright')).toBeVisible();
  });

  test('completing a task marks its card', async ({ page }) => {
    await createTask(page, { title: 'Task to Toggle' });
    await toggleTask(page, 'Task to Toggle', 'complete');
    await expect(card(page, 'Task to Toggle')).toHaveClass(/opacity-60/);
    await toggleTask(page, 'Task to Toggle', 'incomplete');
    await expect(card(page, 'Task to Toggle')).not.toHaveClass(/opacity-60/);
  });

  test('editing a task renames it', async ({ page }) => {
    await createTask(page, { title: 'Task to Edit' });
    await editTask(page, 'Task to Edit', { title: 'Edited Task Title' });
    await expect(card(page, 'Task to Edit')).toHaveCount(0);
  });

  test('deleting a task removes it', async ({ page }) => {
    await createTask(page, { title: 'Task to Delete' });
    await deleteTask(page, 'Task to Delete');
    await page.reload();
    await expect(statusTab(page, 'All')).toBeVisible();
    await expect(card(page, 'Task to Delete')).toHaveCount(0);
  });

  test('the status tabs filter the list', async ({ page }) => {
    await createTask(page, { title: 'Still open' });
    await createTask(page, { title: 'Already done' });
    await toggleTask(page, 'Already done', 'complete');
    await statusTab(page, 'Pending').click();
    await expectShown(page, ['Still open'], ['Already done']);
    await expect(statusTab(page, 'Pending')).toHaveClass(/bg-card/); // the active tab's look
    await statusTab(page, 'Completed').click();
    await expectShown(page, ['Already done'], ['Still open']);
  });

  test('Ctrl+K opens the command palette', async ({ page }) => {
    await page.keyboard.press('Control+k');
    await expect(page.getByPlaceholder('Type a command or search...')).toBeVisible();
  });

  test('the command palette finds "Go to Dashboard"', async ({ page }) => {
    await page.keyboard.press('Control+k');
    await page.getByPlaceholder('Type a command or search...').fill('dashboard');
    await expect(page.getByText('Go to Dashboard')).toBeVisible();
  });
});

test.describe('task CRUD on a phone', () => {
  test.use({ viewport: { width: 375, height: 667 } });
  oneAccount('phone');

  test('the floating add button is shown', async ({ page }) => {
    await expect(page.getByRole('button', { name: 'Add new task' })).toBeVisible();
  });

  test('the floating add button opens the create dialog and creates (by keyboard: the chat button covers it)', async ({ page }) => {
    // An original defect, both generations: the floating "Open chat" button (z-50) sits on
    // the same spot as the floating "Add new task" button, so a tap opens the chat. We
    // record that, then reach the add button as a keyboard user does.
    const add = page.getByRole('button', { name: 'Add new task' });
    await expect(add).toBeVisible();
    const onTop = await add.evaluate((button) => {
      const box = button.getBoundingClientRect();
      const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
      return hit?.closest('button')?.getAttribute('aria-label') ?? null;
    });
    expect(onTop).toBe('Open chat');
    await add.focus();
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeVisible();
    await dialog(page).getByLabel(/task title/i).fill('Made on a phone');
    await dialog(page).getByRole('button', { name: 'Create Task' }).click();
    await expect(dialog(page)).toBeHidden();
    await expect(card(page, 'Made on a phone')).toBeVisible();
  });

  test('the menu button opens the mobile navigation', async ({ page }) => {
    await page.getByRole('button', { name: 'Open menu' }).click();
    await expect(page.getByRole('navigation', { name: 'Mobile navigation' })).toBeVisible();
  });
});

test('a new account shows the empty state, and so does an empty filter', async ({ page }) => {
  await registerInUi(page, newUser('empty'));
  await expect(page.getByRole('heading', { name: 'No tasks yet' })).toBeVisible();
  await createTask(page, { title: 'Only open task' });
  await statusTab(page, 'Completed').click();
  await expect(card(page, 'Only open task')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: /^No (completed )?tasks( yet| found)?$/ })).toBeVisible();
});
