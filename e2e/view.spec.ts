import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import type { LabPage } from './lab.page.ts';

test.use({ viewport: { width: 1440, height: 900 } });

/** Device names as drawn: font size times the viewport's zoom, for the labels inside the pane. */
async function labelSizes(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const vp = document.querySelector('.topo .react-flow__viewport')!;
    const zoom = new DOMMatrix(getComputedStyle(vp).transform).a;
    const pane = document.querySelector('.topo-flow')!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('.topo .dev-name')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.right > pane.left && r.left < pane.right && r.bottom > pane.top && r.top < pane.bottom;
      })
      .map((e) => parseFloat(getComputedStyle(e).fontSize) * zoom)
      .sort((a, b) => a - b);
  });
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] ?? 0;

/** Whether the packet token's centre is inside the topology pane. */
async function tokenInView(lab: LabPage): Promise<boolean> {
  // the camera glides; wait for it to settle
  await lab.page.waitForTimeout(450);
  return lab.page.evaluate(() => {
    const t = document.querySelector('[data-testid="topology.token"]')!.getBoundingClientRect();
    const pane = document.querySelector('.topo-flow')!.getBoundingClientRect();
    return t.left >= pane.left && t.left <= pane.right && t.top >= pane.top && t.top <= pane.bottom;
  });
}

/** Zooms the topology far into its bottom-right corner (the cards, where no packet goes), as a user would with the wheel. */
async function zoomIntoCorner(lab: LabPage): Promise<void> {
  await lab.testid('topology.fit').click();
  await lab.page.waitForTimeout(350);
  const pane = (await lab.page.locator('.topo-flow').boundingBox())!;
  await lab.page.mouse.move(pane.x + pane.width - 80, pane.y + pane.height - 50);
  for (let i = 0; i < 8; i++) await lab.page.mouse.wheel(0, -300);
  await expect.poll(() => lab.page.evaluate(() => new DOMMatrix(getComputedStyle(document.querySelector('.topo .react-flow__viewport')!).transform).a)).toBe(2.5);
  await lab.page.waitForTimeout(200);
}

/** Puts the cursor on 0-based `i` through the test hook (as clicking its trace row would). */
async function seek(lab: LabPage, i: number): Promise<void> {
  await lab.page.evaluate((n) => (window as unknown as { __kplTest: { seek(n: number): void } }).__kplTest.seek(n), i);
  await lab.expectEvent(i);
}

test('device names are at least 11 px in the fitted view, seed and five nodes; hosts off the path are cards that open on click', async ({ lab, page }) => {
  await lab.open();
  const seed = await labelSizes(page);
  expect(seed.length).toBeGreaterThan(8);
  expect(median(seed)).toBeGreaterThanOrEqual(11);
  // pod → ClusterIP goes master → node1: node2 is a card with its name, addresses and device count
  await expect(lab.testid('topology.host.node2')).toHaveAttribute('data-detail', 'card');
  await expect(lab.testid('topology.host.node2')).toContainText('192.168.205.5');
  await expect(lab.testid('topology.host.node2')).toContainText(/\d+ devices/);
  await expect(lab.testid('topology.dev.node2.root.cni0')).toHaveCount(0);
  await lab.testid('topology.host.node2').click();
  await expect(lab.testid('topology.dev.node2.root.cni0')).toBeVisible();
  await lab.testid('topology.fold.node2').click();
  await expect(lab.testid('topology.host.node2')).toHaveAttribute('data-detail', 'card');

  await lab.loadCluster('five-nodes');
  const five = await labelSizes(page);
  expect(five.length).toBeGreaterThan(6);
  expect(median(five)).toBeGreaterThanOrEqual(11);
  // the pods the packet does not visit on a host it crosses fold into one list
  await expect(lab.testid('topology.folded.master')).toContainText('+3 pods');
});

test('edges and nodes are named in words, not ids', async ({ lab, page }) => {
  await lab.open();
  await expect(page.locator('.react-flow__edge').first()).toBeAttached();
  const names = await page.evaluate(() => [...document.querySelectorAll('.react-flow__edge, .react-flow__node')].map((e) => e.getAttribute('aria-label') ?? ''));
  expect(names.length).toBeGreaterThan(20);
  expect(names.filter((n) => !n || /dev:|host:|seg:|Edge from/.test(n))).toEqual([]);
  expect(names).toContain('veth pair: master vethdda33cf5 ↔ pod nginx-test-…-n8s9s eth0');
  expect(names.some((n) => /^VXLAN tunnel, VNI 1: master flannel\.1 ↔ node1 flannel\.1$/.test(n))).toBe(true);
});

test('the camera brings the hop into view at the encapsulation and at the delivery; off, it stays', async ({ lab, page }) => {
  await lab.open('speed=1');
  await page.locator('body').click({ position: { x: 5, y: 400 } });
  for (const kind of ['encap', 'deliver']) {
    const at = await lab.seekKind(kind);
    await seek(lab, at - 1);
    await zoomIntoCorner(lab);
    expect(await tokenInView(lab), `before the ${kind} step, zoomed away`).toBe(false);
    await page.keyboard.press('ArrowRight');
    await lab.expectEvent(at);
    expect(await tokenInView(lab), `at the ${kind} step`).toBe(true);
  }
  await expect(lab.testid('inspector.host')).toHaveText('node1');
  await expect(lab.testid('inspector.verdict')).toHaveText('delivered');
  // with "Follow packet" off, the view stays where the user put it
  await lab.testid('topology.follow').click();
  await expect(lab.testid('topology.follow')).toHaveAttribute('aria-pressed', 'false');
  await seek(lab, 0);
  await zoomIntoCorner(lab);
  await page.locator('body').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('ArrowRight');
  expect(await tokenInView(lab)).toBe(false);
});

test('only the LAN the frame is on lights up; the path is drawn', async ({ lab }) => {
  await lab.open();
  await expect(lab.testid('topology.path').locator('path.pkt-rest')).toHaveCount(1);
  await lab.seekKind('wire');
  await expect(lab.testid('topology.segment.lan')).toHaveAttribute('data-active', 'true');
  await expect(lab.testid('topology.segment.wan')).not.toHaveAttribute('data-active', 'true');
  await expect(lab.testid('topology.path').locator('path.pkt-done')).toHaveCount(1);
  await expect(lab.testid('topology.path').locator('path.pkt-hop')).toHaveCount(1);
  await lab.stepForward.click();
  await expect(lab.testid('topology.segment.lan')).not.toHaveAttribute('data-active', 'true');
});

test('no horizontal page scroll from 900 to 1920 px; nothing cut in the header', async ({ lab, page }) => {
  for (const [width, height] of [
    [900, 800],
    [1280, 720],
    [1440, 900],
    [1920, 1080],
  ] as const) {
    await page.setViewportSize({ width, height });
    await lab.open('step=30');
    const m = await page.evaluate(() => {
      const overflowing = (sel: string) => {
        const e = document.querySelector<HTMLElement>(sel);
        return !e || e.scrollWidth > e.clientWidth + 1;
      };
      const box = (sel: string) => document.querySelector(sel)!.getBoundingClientRect();
      const copy = box('[data-testid="share.copy"]');
      const count = box('[data-testid="trace.verdict"]');
      return {
        scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        badgeCut: overflowing('[data-testid="trace.verdict"] .badge'),
        underCopy: count.right > copy.left + 1 && count.top < copy.bottom && count.bottom > copy.top,
      };
    });
    expect(m, `${width}×${height}`).toEqual({ scroll: 0, badgeCut: false, underCopy: false });
  }
  // narrow: the inspector, the trace and the tables are tabs
  await page.setViewportSize({ width: 900, height: 800 });
  await expect(lab.testid('tabs.inspector')).toBeVisible();
  await lab.testid('tabs.trace').click();
  await expect(lab.testid('timeline.list')).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 720 });
  await expect(lab.testid('tabs.inspector')).toHaveCount(0);
  // the hex dump's ASCII column is not clipped at 1280×720
  const ascii = await page.evaluate(() => {
    const a = document.querySelector('.hex-ascii')!.getBoundingClientRect();
    const panel = document.querySelector('.app-inspector')!.getBoundingClientRect();
    return a.width > 0 && a.right <= panel.right;
  });
  expect(ascii).toBe(true);
});

test('keys: Space plays after clicking a button, Esc leaves the terminal, ? lists the keys', async ({ lab, page }) => {
  await lab.open();
  await lab.stepForward.click();
  await lab.expectStep(2);
  await page.keyboard.press('Space');
  await expect(lab.testid('controls.play')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Space');
  await expect(lab.testid('controls.play')).toHaveAttribute('aria-pressed', 'false');
  // Space in a text field types a space
  await lab.testid('flow.to').focus();
  await page.keyboard.press('Space');
  await expect(lab.testid('controls.play')).toHaveAttribute('aria-pressed', 'false');
  await expect(lab.testid('flow.to')).toHaveValue(/ $/);

  await lab.testid('tabs.terminal').click();
  await lab.testid('terminal.input').focus();
  await page.keyboard.press('Escape');
  await expect(lab.testid('tabs.terminal')).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(lab.testid('tabs.edits')).toBeFocused();

  await page.locator('body').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('?');
  const sheet = lab.testid('keys.sheet');
  await expect(sheet).toBeVisible();
  for (const id of ['playback.toggle', 'playback.forward', 'topology.follow', 'terminal.leave', 'help.keys']) await expect(lab.testid(`keys.row.${id}`)).toBeVisible();
  await expect(lab.testid('keys.row.playback.toggle')).toContainText('Space');
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
});

test('Tab from the first control reaches the Tables tab in under 25 presses', async ({ lab, page }) => {
  await lab.open();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain('Skip to the inspector');
  const stops: string[] = [];
  while (stops.length < 400) {
    const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? '');
    if (id === 'tabs.tables') break;
    stops.push(id);
    await page.keyboard.press('Tab');
  }
  // the trace list is one tab stop (arrow keys move inside it); until every row stops being a
  // stop of its own, its rows count once here, as they will
  const rows = stops.filter((s) => s.startsWith('timeline.event.')).length;
  const presses = stops.length - Math.max(0, rows - 1);
  expect(presses, stops.filter((s) => !s.startsWith('timeline.event.')).join(' | ')).toBeLessThan(25);
});

test('first load says which flow is loaded and the key that starts it; Back and Forward move between flows and clusters', async ({ lab, page }) => {
  await lab.open();
  await expect(lab.testid('first.orient')).toContainText('pod → ClusterIP');
  await expect(lab.testid('first.orient')).toContainText('Space');
  // it counts the steps the controls count (at the path level, not every event)
  const { total } = await lab.position();
  expect(total).toBeLessThan((await lab.state()).events);
  await expect(lab.testid('first.orient')).toContainText(` ${total} steps`);
  await expect(lab.testid('scenario.cluster')).not.toContainText('§');
  await expect(lab.testid('scenario.cluster')).toHaveAttribute('title', /section 1c/);
  await lab.stepForward.click();
  await expect(lab.testid('first.orient')).toHaveCount(0);

  await lab.choosePreset(/across nodes/i);
  await expect.poll(() => page.url()).toContain('to=10.42.1.9');
  await page.keyboard.press('Home');
  await lab.expectStep(1);
  await lab.stepForward.click();
  await lab.stepForward.click();
  // the link names the event (its number in the whole trace), the same moment at any level
  const third = (await lab.state()).cursor + 1;
  await expect.poll(() => page.url()).toContain(`step=${third}`);
  await page.goBack();
  await lab.idle();
  await expect(lab.testid('flow.preset')).toHaveAttribute('title', /ClusterIP/);
  await page.goForward();
  await lab.idle();
  await expect(lab.testid('flow.preset')).toHaveAttribute('title', /across nodes/);
  await lab.expectStep(3);

  // a cluster switch, then Back: the previous cluster with its edits
  await lab.run('master', 'ip route del 10.42.1.0/24');
  await lab.idle();
  await expect.poll(() => page.url()).toContain('edit=');
  await lab.loadCluster('five-nodes');
  expect((await lab.state()).before).toEqual([]);
  await expect.poll(() => page.url()).toContain('cluster=five-nodes');
  await page.goBack();
  await expect.poll(async () => (await lab.state()).preset).toBe('seed');
  await lab.idle();
  expect((await lab.state()).before).toEqual(['master: ip route del 10.42.1.0/24']);
  await expect(lab.testid('trace.verdict')).toContainText('dropped');
  // and the views: Compare, then Back to the debugger
  await lab.openView('compare');
  await lab.compareIdle();
  await expect.poll(() => page.url()).toContain('view=compare');
  await page.goBack();
  await expect(lab.testid('view.debug')).toHaveAttribute('aria-current', 'page');
});

/** Waits until the topology's camera has stopped moving (a fit after a new layout, a follow). */
async function settled(lab: LabPage): Promise<void> {
  const transform = () => lab.page.evaluate(() => getComputedStyle(document.querySelector('.topo .react-flow__viewport')!).transform);
  let last = '';
  await expect
    .poll(async () => {
      const now = await transform();
      const same = now === last;
      last = now;
      return same;
    }, { intervals: [300] })
    .toBe(true);
}

test('screenshots at 900, 1280, 1440 and 1920 px: first load, mid-path, encapsulation, compare, five nodes', async ({ lab, page }) => {
  test.setTimeout(180_000);
  for (const [width, height] of [
    [900, 800],
    [1280, 720],
    [1440, 900],
    [1920, 1080],
  ] as const) {
    await page.setViewportSize({ width, height });
    await lab.open();
    await settled(lab);
    await lab.screenshot(`view-${width}-first-load`);
    const encap = await lab.seekKind('encap');
    await seek(lab, Math.floor(encap / 2));
    await lab.screenshot(`view-${width}-mid-path`);
    await seek(lab, encap);
    await lab.screenshot(`view-${width}-encap`);
    await lab.compare('proxy');
    await lab.screenshot(`view-${width}-compare`);
    await lab.openView('debug');
    await lab.loadCluster('five-nodes');
    await settled(lab);
    await lab.screenshot(`view-${width}-five-nodes`);
  }
});
