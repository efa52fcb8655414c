// Phase V (29bdc70: priority, due date, tags, recurrence, search and filters; the list read
// as {"tasks", "count"}, our TASK_LIST_FORMAT=object), the whole way a new user goes.
import { expect, test, type Page } from '@playwright/test';
import { loginInUi, logoutInUi, newUser, registerInUi, snap, tasksInBackend } from './support';
import { card, createTask, deleteTask, editTask, expectListed, toggleTask } from './tasks-ui';

const dinner = 'Plan holiday dinner';
const report = 'File expense report';
const reportEdited = 'File the Q4 expense report';
const throwaway = 'Throwaway task';

function filterButton(page: Page, name: 'Priority' | 'Tags' | 'Status') {
  return page.getByRole('button', { name: new RegExp(`^${name}\\b`) });
}

async function pickFilter(page: Page, filter: 'Priority' | 'Status', option: string): Promise<void> {
  await filterButton(page, filter).click();
  await page.getByRole('button', { name: option, exact: true }).click();
}

async function pickTags(page: Page, tags: string[]): Promise<void> {
  await filterButton(page, 'Tags').click();
  for (const tag of tags) await page.getByRole('button', { name: tag, exact: true }).click();
  await filterButton(page, 'Tags').click(); // the tag list stays open until its trigger is clicked again
}

async function clearFilters(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Clear \(\d\)$/ }).click();
}

test('sign up, tasks with priority / due date / tags, filter and search, sign out, sign in: the same tasks', async ({ page, request }) => {
  const user = newUser('phase5');

  await test.step('register in the UI', async () => {
    await registerInUi(page, user);
    await expect(page.getByRole('heading', { name: 'No tasks yet' })).toBeVisible();
  });

  await test.step('create tasks with priority, due date and tags', async () => {
    await createTask(page, { title: throwaway });
    await createTask(page, { title: report, priority: 'low', tags: ['work'] });
    await createTask(page, {
      title: dinner, description: 'Twelve guests', priority: 'high', due: '2026-12-24T18:30', tags: ['home', 'family'],
    });
    await expectListed(page, [dinner, report, throwaway]);
    const shown = card(page, dinner);
    await expect(shown.getByText('High', { exact: true })).toBeVisible();
    await expect(shown.getByText('Dec 24', { exact: true })).toBeVisible();
    await expect(shown.getByText('home', { exact: true })).toBeVisible();
    await expect(shown.getByText('family', { exact: true })).toBeVisible();
    await expect(card(page, report).getByText('Low', { exact: true })).toBeVisible();
    await snap(page, 'phase5-01-created');
  });

  await test.step('edit one: title, due date, one more tag', async () => {
    await editTask(page, report, { title: reportEdited, due: '2026-12-31T09:00', tags: ['finance'] });
    const shown = card(page, reportEdited);
    await expect(shown.getByText('Dec 31', { exact: true })).toBeVisible();
    await expect(shown.getByText('finance', { exact: true })).toBeVisible();
    await expect(shown.getByText('work', { exact: true })).toBeVisible();
  });

  await test.step('complete one', async () => {
    await toggleTask(page, dinner, 'complete');
  });

  await test.step('filter by priority, tags, status; search', async () => {
    await pickFilter(page, 'Priority', 'High');
    await expectListed(page, [dinner]);
    await pickFilter(page, 'Priority', 'Low');
    await expectListed(page, [reportEdited]);
    await clearFilters(page);
    await expectListed(page, [dinner, reportEdited, throwaway]);

    await pickTags(page, ['work']);
    await expectListed(page, [reportEdited]);
    await clearFilters(page);
    await pickTags(page, ['home', 'family']);
    await expectListed(page, [dinner]);
    await clearFilters(page);

    await pickFilter(page, 'Status', 'Completed');
    await expectListed(page, [dinner]);
    await pickFilter(page, 'Status', 'Pending');
    await expectListed(page, [reportEdited, throwaway]);
    await clearFilters(page);

    const search = page.getByPlaceholder('Search tasks by title or description...');
    await search.fill('expense');
    await expectListed(page, [reportEdited]);
    await search.fill('twelve');
    await expectListed(page, [dinner]);
    await search.fill('');
    await expectListed(page, [dinner, reportEdited, throwaway]);
    await snap(page, 'phase5-02-filtered');
  });

  await test.step('delete one', async () => {
    await deleteTask(page, throwaway);
    await expectListed(page, [dinner, reportEdited]);
  });

  await test.step('our backend holds exactly that (a datetime-local due date stays floating)', async () => {
    const tasks = await tasksInBackend(page, request);
    const summary = tasks.map((t) => ({
      title: t.title, description: t.description, priority: t.priority, due_date: t.due_date,
      is_completed: t.is_completed, tags: t.tags.map((tag: { name: string }) => tag.name),
    }));
    expect(summary).toEqual(expect.arrayContaining([
      { title: dinner, description: 'Twelve guests', priority: 'high', due_date: '2026-12-24T18:30:00',
        is_completed: true, tags: ['family', 'home'] },
      { title: reportEdited, description: null, priority: 'low', due_date: '2026-12-31T09:00:00',
        is_completed: false, tags: ['finance', 'work'] },
    ]));
    expect(summary).toHaveLength(2);
  });

  await test.step('sign out, sign in again in the UI: the same tasks, badges and tags', async () => {
    await logoutInUi(page, user);
    await loginInUi(page, user);
    await expectListed(page, [dinner, reportEdited]);
    await expect(card(page, dinner).getByRole('button', { name: 'Mark as incomplete' })).toBeVisible();
    await expect(card(page, dinner).getByText('High', { exact: true })).toBeVisible();
    await expect(card(page, reportEdited).getByText('finance', { exact: true })).toBeVisible();
    await pickTags(page, ['finance']);
    await expectListed(page, [reportEdited]);
    await snap(page, 'phase5-03-signed-in-again');
  });
});

test('a tag removed in the edit form leaves the task; completing a daily task brings the next one', async ({ page, request }) => {
  const user = newUser('phase5-recur');
  await registerInUi(page, user);
  await createTask(page, { title: 'Water the plants', priority: 'medium', due: '2026-12-05T08:00', tags: ['home', 'garden'] });

  await editTask(page, 'Water the plants', { removeTags: ['garden'] });
  await expect(card(page, 'Water the plants').getByText('garden', { exact: true })).toHaveCount(0);
  await expect(card(page, 'Water the plants').getByText('home', { exact: true })).toBeVisible();

  await editTask(page, 'Water the plants', { repeat: 'daily' });
  await expect(card(page, 'Water the plants').getByText('daily', { exact: true })).toBeVisible();

  await toggleTask(page, 'Water the plants', 'complete');
  await expect(card(page, 'Water the plants')).toHaveCount(2);
  const tasks = (await tasksInBackend(page, request)).filter((t) => t.title === 'Water the plants');
  expect(tasks.map((t) => [t.is_completed, t.due_date, t.recurrence_pattern, t.tags.map((tag: { name: string }) => tag.name)]))
    .toEqual([
      [false, '2026-12-06T08:00:00', 'daily', ['home']],
      [true, '2026-12-05T08:00:00', 'daily', ['home']],
    ]);
  await snap(page, 'phase5-04-recurred');
});
