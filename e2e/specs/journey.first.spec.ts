// The first generation (66266cb: title, description, complete; the list a JSON array), the
// whole way a new user goes: sign up in the UI, work on tasks, sign out, sign in again, and
// find the same tasks, as our backend stored them.
import { expect, test } from '@playwright/test';
import { loginInUi, logoutInUi, newUser, registerInUi, snap, tasksInBackend } from './support';
import { card, createTask, deleteTask, editTask, expectListed, statusTab, toggleTask } from './tasks-ui';

test('sign up, create / edit / complete / filter / delete, sign out, sign in: the same tasks', async ({ page, request }) => {
  const user = newUser('journey');

  await test.step('register in the UI, land on an empty dashboard', async () => {
    await registerInUi(page, user);
    await expect(page.getByRole('heading', { name: 'No tasks yet' })).toBeVisible();
    await snap(page, 'first-01-registered');
  });

  await test.step('create three tasks', async () => {
    // Created first, so listed last (newest first): the one card whose menu no card below
    // covers, so its "Delete" is clicked like a pointer user would (tasks-ui.ts, openMenu).
    await createTask(page, { title: 'Throwaway task' });
    await createTask(page, { title: 'Buy groceries', description: 'Milk, eggs, bread' });
    await createTask(page, { title: 'Call the bank' });
    await expectListed(page, ['Buy groceries', 'Call the bank', 'Throwaway task']);
    await expect(card(page, 'Buy groceries').getByText('Milk, eggs, bread')).toBeVisible();
  });

  await test.step('edit one (title and description)', async () => {
    await editTask(page, 'Buy groceries', { title: 'Buy groceries and flowers', description: 'Milk, eggs, bread, tulips' });
    await expect(card(page, 'Buy groceries and flowers').getByText('Milk, eggs, bread, tulips')).toBeVisible();
  });

  await test.step('complete one', async () => {
    await toggleTask(page, 'Call the bank', 'complete');
    await expect(page.getByText('You have 2 tasks to complete.')).toBeVisible();
  });

  await test.step('filter by status', async () => {
    await statusTab(page, 'Completed').click();
    await expectListed(page, ['Call the bank']);
    await statusTab(page, 'Pending').click();
    await expectListed(page, ['Buy groceries and flowers', 'Throwaway task']);
    await statusTab(page, 'All').click();
    await expectListed(page, ['Buy groceries and flowers', 'Call the bank', 'Throwaway task']);
    await expect(statusTab(page, 'Completed')).toHaveText(/Completed\s*1/);
  });

  await test.step('delete one', async () => {
    await deleteTask(page, 'Throwaway task');
    await expectListed(page, ['Buy groceries and flowers', 'Call the bank']);
    await snap(page, 'first-02-worked');
  });

  await test.step('our backend holds exactly that', async () => {
    const tasks = await tasksInBackend(page, request);
    // This generation's form sends an empty description as "" (phase V leaves it out).
    expect(tasks.map((t) => [t.title, t.description, t.is_completed])).toEqual([
      ['Call the bank', '', true],
      ['Buy groceries and flowers', 'Milk, eggs, bread, tulips', false],
    ]);
  });

  await test.step('sign out, sign in again in the UI: the same tasks', async () => {
    await logoutInUi(page, user);
    await loginInUi(page, user);
    await expectListed(page, ['Buy groceries and flowers', 'Call the bank']);
    await expect(card(page, 'Call the bank').getByRole('button', { name: 'Mark as incomplete' })).toBeVisible();
    await expect(card(page, 'Buy groceries and flowers').getByRole('button', { name: 'Mark as complete' })).toBeVisible();
    await snap(page, 'first-03-signed-in-again');
  });
});
