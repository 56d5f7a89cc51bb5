import { expect, type Locator, type Page } from '@playwright/test';

interface LabState {
  cursor: number;
  events: number;
  pending: boolean;
  modes?: { proxy: string; backend: string; scheduler: string };
  before: string[];
  preset?: string;
  view: 'debug' | 'compare' | 'scale';
  comparePending: boolean;
  scalePoints: number;
  scaleRunning: boolean;
}

/** The lab as a user sees it: by role, label and dotted test ids. */
export class LabPage {
  constructor(readonly page: Page) {}

  /** Opens the app with animation off and waits for the first trace. */
  async open(query = ''): Promise<void> {
    const q = new URLSearchParams(query.replace(/^\?/, ''));
    if (!q.has('speed')) q.set('speed', 'instant');
    await this.page.goto(`/?${q.toString()}`);
    await this.idle();
  }

  state(): Promise<LabState> {
    return this.page.evaluate(() => (window as unknown as { __kplTest: { state(): LabState } }).__kplTest.state());
  }

  /** Waits until a trace is shown and no request is in the worker. */
  async idle(): Promise<void> {
    await expect.poll(async () => {
      const s = await this.page.evaluate(() => (window as unknown as { __kplTest?: { state(): LabState } }).__kplTest?.state());
      return !!s && s.events > 0 && !s.pending;
    }, { timeout: 20_000 }).toBe(true);
  }

  testid(id: string): Locator {
    return this.page.getByTestId(id);
  }

  get stepForward() {
    return this.testid('controls.step-forward');
  }

  get stepBack() {
    return this.testid('controls.step-back');
  }

  /** 1-based step shown in the inspector header, as `12 / 40`. */
  async position(): Promise<{ step: number; total: number }> {
    const t = (await this.testid('inspector.step').textContent()) ?? '';
    const m = /(\d+)\s*\/\s*(\d+)/.exec(t);
    return { step: Number(m?.[1] ?? 0), total: Number(m?.[2] ?? 0) };
  }

  /** Waits for the inspector to show 1-based step `n`. */
  async expectStep(n: number): Promise<void> {
    await expect(this.testid('inspector.step')).toHaveText(new RegExp(`^${n} / \\d+$`));
  }

  /** A packet field's value in the inspector, e.g. `ipv4.dst`, `outer.udp.dstport`. */
  field(id: string): Locator {
    return this.testid(`inspector.field.${id}`).locator('.fval');
  }

  async choosePreset(label: RegExp): Promise<void> {
    const select = this.testid('flow.preset');
    const options = await select.locator('option').allTextContents();
    const hit = options.find((o) => label.test(o));
    if (!hit) throw new Error(`no flow preset matches ${label}: ${options.join(' | ')}`);
    await select.selectOption({ label: hit });
    await this.idle();
  }

  async setBackend(b: 'vxlan' | 'host-gw' | 'udp' | 'ipip' | 'bgp' | 'crosssubnet'): Promise<void> {
    await this.testid(`mode.backend.${b}`).click();
    await expect.poll(async () => (await this.state()).modes?.backend).toBe(b);
    await this.idle();
  }

  /** Picks the IPVS scheduler (the picker shows in ipvs mode) and waits for the new trace. */
  async setScheduler(sched: 'rr' | 'wrr' | 'lc' | 'sh' | 'dh' | 'mh'): Promise<void> {
    await this.testid('mode.scheduler').selectOption(sched);
    await expect.poll(async () => (await this.state()).modes?.scheduler).toBe(sched);
    await this.idle();
  }

  /** Loads a built-in cluster from the header's picker. */
  async loadCluster(preset: string): Promise<void> {
    await this.testid('scenario.cluster').selectOption(preset);
    await expect.poll(async () => (await this.state()).preset).toBe(preset);
    await this.idle();
  }

  /** Debugger, Compare or Scale. */
  async openView(view: 'debug' | 'compare' | 'scale'): Promise<void> {
    await this.testid(`view.${view}`).click();
    await expect(this.testid(`view.${view}`)).toHaveAttribute('aria-current', 'page');
  }

  /** Opens the compare view on an axis and waits for both traces. */
  async compare(axis: 'proxy' | 'backend'): Promise<void> {
    await this.openView('compare');
    await this.testid(`compare.axis.${axis}`).click();
    await expect(this.testid('compare.body')).toHaveAttribute('data-axis', axis);
    await this.compareIdle();
  }

  async compareIdle(): Promise<void> {
    await expect.poll(async () => (await this.state()).comparePending, { timeout: 20_000 }).toBe(false);
    await expect(this.testid('compare.body')).toBeVisible();
  }

  /** Types a flow into the header and runs it. */
  async runFlow(to: string): Promise<void> {
    await this.testid('flow.to').fill(to);
    await this.testid('flow.apply').click();
    await this.idle();
  }

  async setProxy(p: 'iptables' | 'ipvs'): Promise<void> {
    await this.testid(`mode.proxy.${p}`).click();
    await expect.poll(async () => (await this.state()).modes?.proxy).toBe(p);
    await this.idle();
  }

  /** Steps forward with the button until `done` holds; fails past the end. */
  async stepUntil(done: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await done()) return;
      if ((await this.stepForward.getAttribute('aria-disabled')) === 'true') break;
      await this.stepForward.click();
    }
    throw new Error(`reached the end of the trace without finding ${what}`);
  }

  /**
   * Every event of the trace as the transcript reads it. The list renders only the rows in view,
   * so this scrolls it from top to bottom, as a reader would, and collects the rows by index.
   */
  async transcript(): Promise<string[]> {
    return this.testid('timeline.list').evaluate(async (list) => {
      const box = list.parentElement!;
      const rows = new Map<number, string>();
      const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const before = box.scrollTop;
      for (let top = 0; ; top += Math.max(40, box.clientHeight - 40)) {
        box.scrollTop = top;
        await frame();
        for (const b of list.querySelectorAll<HTMLElement>('button[data-index]')) rows.set(Number(b.dataset.index), b.textContent ?? '');
        if (top + box.clientHeight >= box.scrollHeight) break;
      }
      box.scrollTop = before;
      return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    });
  }

  /** Runs a command in the terminal on a host or pod and returns the new output entry. */
  async run(target: string, command: string): Promise<Locator> {
    await this.testid('tabs.terminal').click();
    await this.testid('terminal.target').selectOption(target);
    const before = await this.testid('terminal.output').locator('.term-entry').count();
    await this.testid('terminal.input').fill(command);
    await this.testid('terminal.input').press('Enter');
    const entry = this.testid('terminal.output').locator('.term-entry').nth(before);
    await expect(entry).toBeVisible();
    return entry;
  }

  /** Jumps to the first event of `kind` at or after 0-based `from` (as a click on its trace row); returns its index. */
  async seekKind(kind: string, from = 0): Promise<number> {
    const i = await this.page.evaluate(([k, f]) => (window as unknown as { __kplTest: { indexOf(k: string, f: number): number } }).__kplTest.indexOf(k, f), [kind, from] as const);
    if (i < 0) throw new Error(`the trace has no ${kind} event from ${from}`);
    await this.page.evaluate((n) => (window as unknown as { __kplTest: { seek(n: number): void } }).__kplTest.seek(n), i);
    await this.expectStep(i + 1);
    return i;
  }

  async screenshot(name: string): Promise<void> {
    await this.page.waitForTimeout(150);
    await this.page.screenshot({ path: `e2e/screenshots/${name}.png` });
  }
}
