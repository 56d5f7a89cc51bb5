import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

const POD_TO_SERVICE = '?from=nginx-test-7646687cc4-n8s9s&to=10.43.6.58%3A80&proto=tcp&kind=connect';
const CLIENT_TO_NODEPORT = '?from=client&to=192.168.205.4%3A32506&proto=tcp&kind=connect';

test('levels: pod → ClusterIP reads in ≤ 40 path steps with the DNAT, the VXLAN encapsulation and the delivery; rules shows them all', async ({ lab }) => {
  await lab.open(POD_TO_SERVICE);
  expect((await lab.state()).level).toBe('path');
  const path = await lab.transcript();
  expect(path.length).toBeLessThanOrEqual(40);
  expect(path.some((t) => /NAT PREROUTING dst 10\.43\.6\.58 → 10\.42\.\d\.6/.test(t))).toBe(true);
  expect(path.some((t) => /encapsulate on flannel\.1/.test(t))).toBe(true);
  expect(path.some((t) => /deliver/.test(t))).toBe(true);
  expect(path.some((t) => /rule \d/.test(t))).toBe(false);
  const { events } = await lab.state();
  await expect(lab.testid('timeline.count')).toContainText(`${path.length} steps of ${events} events`);

  await lab.testid('timeline.level.rules').click();
  const rules = await lab.transcript();
  expect(rules.length).toBe(events);
  expect(rules.some((t) => /KUBE-SVC-7CWUT4JBGBRVUN2L rule \d → jump KUBE-SEP-/.test(t))).toBe(true);
  // the keyboard cycles the level too: rules → path
  await lab.page.locator('body').click({ position: { x: 5, y: 300 } });
  await lab.page.keyboard.press('l');
  await expect.poll(async () => (await lab.state()).level).toBe('path');
});

test('a path step expands in place to the finer steps it stands for; stepping and the chain view follow', async ({ lab, page }) => {
  await lab.open(POD_TO_SERVICE);
  const list = lab.testid('timeline.list');
  await list.focus();
  // ↓ moves step by step at the path level: socket, veth, then kube-proxy's DNAT
  for (let k = 0; k < 2; k++) await page.keyboard.press('ArrowDown');
  await lab.expectStep(3);
  await expect(lab.testid('inspector.group')).toContainText('stands for');
  await expect(lab.testid('inspector.chainview').first()).toContainText('KUBE-SVC-7CWUT4JBGBRVUN2L');
  await expect(lab.testid('inspector.chainview.draw').first()).toContainText(/statistic: drew 0\.\d{4} [<≥] 0\.5 → (match|next rule)/);
  const before = (await lab.transcript()).length;
  await page.keyboard.press('ArrowRight');
  const open = await lab.transcript();
  expect(open.length).toBeGreaterThan(before);
  expect(open.some((t) => /conntrack: NEW/.test(t))).toBe(true);
  await page.keyboard.press('ArrowLeft');
  expect((await lab.transcript()).length).toBe(before);
});

test('the share link reproduces the level and the step', async ({ lab, page }) => {
  await lab.open(POD_TO_SERVICE);
  await lab.testid('timeline.level.kernel').click();
  for (let k = 0; k < 7; k++) await lab.stepForward.click();
  const at = await lab.state();
  const pos = await lab.position();
  await expect.poll(() => page.url()).toContain('level=kernel');
  await expect.poll(() => page.url()).toContain(`step=${at.cursor + 1}`);
  const link = page.url();
  await page.goto('about:blank');
  await page.goto(link);
  await lab.idle();
  expect((await lab.state()).level).toBe('kernel');
  expect((await lab.state()).cursor).toBe(at.cursor);
  expect(await lab.position()).toEqual(pos);
  await expect(lab.testid('timeline.level.kernel')).toHaveAttribute('aria-checked', 'true');
});

test('per-step truth: right after the SYN is DNATed the DNAT rule has counted 1 packet and the entry is SYN_SENT [UNREPLIED]; after the handshake ESTABLISHED [ASSURED]; after the close TIME_WAIT', async ({ lab, page }) => {
  await lab.open(`${POD_TO_SERVICE}&level=rules`);
  await lab.testid('tabs.tables').click();
  await lab.testid('tables.netns').selectOption('master|root');
  // the step right after the DNAT rule: the NAT step rewriting the destination
  await lab.stepUntil(async () => /^DNAT/.test((await lab.testid('inspector.verdict').count()) ? ((await lab.testid('inspector.verdict').textContent()) ?? '') : ''), 'the DNAT rule');
  await lab.stepForward.click();
  await expect(lab.testid('inspector.field.ipv4.dst')).toContainText('was 10.43.6.58');
  await lab.testid('tables.tab.iptables').click();
  const sep = lab.testid('tables.body.iptables').locator('[data-testid^="tables.rule.KUBE-SEP-"]').filter({ hasText: 'DNAT' }).filter({ has: page.locator('td.pk', { hasText: /^1$/ }) });
  await expect(sep).toHaveCount(1);
  await expect(sep.locator('td.by')).toHaveText('60');
  await lab.testid('tables.tab.conntrack').click();
  await expect(lab.testid('tables.conntrack.unconfirmed')).toContainText(/tcp +6 120 SYN_SENT src=10\.42\.0\.65 dst=10\.43\.6\.58 .*\[UNREPLIED\]/);
  // the handshake completes with the client's ACK (packet 2, the third delivery): master's entry is ESTABLISHED
  let delivery = -1;
  for (let k = 0; k < 3; k++) delivery = await lab.seekKind('deliver', delivery + 1);
  await expect(lab.testid('tables.body.conntrack')).toContainText(/tcp +6 432000 ESTABLISHED src=10\.42\.0\.65 dst=10\.43\.6\.58 .*\[ASSURED\]/);
  // the client then closes (FIN, ACK, FIN, ACK): at the last step the entry is TIME_WAIT for 120 s, as the kernel's
  await page.keyboard.press('End');
  await expect(lab.testid('tables.body.conntrack')).toContainText(/tcp +6 120 TIME_WAIT src=10\.42\.0\.65 dst=10\.43\.6\.58 .*\[ASSURED\]/);
  // and the terminal agrees, run on the state at that step
  await lab.testid('tabs.terminal').click();
  await lab.testid('terminal.state.step').click();
  const out = await lab.run('master', 'conntrack -L');
  await expect(out).toContainText('TIME_WAIT');
  await expect(out.getByTestId('terminal.when')).toContainText('at event');
});

test('changed fields include the checksums a DNAT recomputes, in the field list and the bytes', async ({ lab }) => {
  await lab.open(`${POD_TO_SERVICE}&level=rules`);
  await lab.stepUntil(async () => ((await lab.field('ipv4.dst').textContent()) ?? '').startsWith('10.42.'), 'the DNAT');
  await expect(lab.testid('inspector.field.ipv4.checksum')).toHaveClass(/changed/);
  await expect(lab.testid('inspector.field.tcp.checksum')).toHaveClass(/changed/);
  await expect(lab.testid('inspector.field.ipv4.checksum')).toContainText(/was 0x[0-9a-f]{4}/);
  // four address bytes and two bytes for each checksum are marked in the hex dump
  await expect(lab.testid('inspector.hexdump').locator('.hb.chg')).toHaveCount(8);
});

test('search: MASQUERADE in client → NodePort jumps to the MASQUERADE step in one Enter; matches are marked', async ({ lab, page }) => {
  await lab.open(CLIENT_TO_NODEPORT);
  await lab.testid('timeline.search').fill('MASQUERADE');
  await page.keyboard.press('Enter');
  await expect(lab.testid('inspector.explanation')).toContainText('MASQUERADE');
  await expect(lab.testid('inspector.field.ipv4.src')).toContainText('was 192.168.205.100');
  await expect(lab.testid('timeline.search.count')).toHaveText(/^1 \/ \d+$/);
  await expect(lab.testid('controls.scrubber').locator('.tick.match').first()).toBeVisible();
  // filters: only the NAT steps
  await lab.testid('timeline.filter.toggle').click();
  await lab.testid('timeline.filter.nat').click();
  const nat = await lab.transcript();
  expect(nat.length).toBeGreaterThan(1);
  expect(nat.every((t) => /NAT|IPVS/.test(t))).toBe(true);
});

test('why this endpoint: re-roll the connection, run N and see the spread and the counters', async ({ lab }) => {
  await lab.open(POD_TO_SERVICE);
  await lab.stepUntil(async () => (await lab.testid('inspector.why').count()) > 0, 'the load-balancing step');
  await expect(lab.testid('inspector.why')).toContainText(/KUBE-SVC-7CWUT4JBGBRVUN2L rule 2: statistic: drew/);
  await lab.testid('why.count').fill('200');
  await lab.testid('why.run').click();
  await expect(lab.testid('why.outcome')).toHaveCount(2, { timeout: 30_000 });
  await expect(lab.testid('why.counters')).toContainText('KUBE-SEP-');
  await expect(lab.testid('why.result')).toContainText('200 connections', { timeout: 30_000 });
  await lab.testid('controls.reroll').click();
  await lab.idle();
  await expect(lab.page).toHaveURL(/draw=1/);
});

test('compare with a pinned endpoint: both sides reach the same pod; switching mode keeps the cursor on the same moment', async ({ lab }) => {
  await lab.open(POD_TO_SERVICE);
  await lab.compare('proxy');
  await expect(lab.testid('compare.pin')).toHaveValue('auto');
  const a = (await lab.testid('compare.a.verdict').textContent()) ?? '';
  const b = (await lab.testid('compare.b.verdict').textContent()) ?? '';
  expect(a).toMatch(/^delivered at node\d \/ pod nginx-test-/);
  expect(a).toBe(b);
  await expect(lab.testid('compare.a.draw')).toBeVisible();
  // the same cluster on both sides: only the mode (and the connection's random choice) differs
  await expect(lab.testid('compare.a.only')).not.toContainText('veth');

  // in the debugger, at the VXLAN encapsulation of the request, switch the mode: still there
  await lab.openView('debug');
  await lab.idle();
  await lab.stepUntil(async () => /encapsulate on/.test((await lab.testid('timeline.list').locator('[aria-selected="true"]').textContent()) ?? ''), 'the encapsulation');
  await lab.setProxy('ipvs');
  await expect(lab.testid('timeline.list').locator('[aria-selected="true"]')).toContainText('encapsulate on');
});

test('sized flows: a 1472-byte ping with DF set is refused by the pod (EMSGSIZE on its 1450-byte eth0)', async ({ lab }) => {
  await lab.open('?from=nginx-test-7646687cc4-n8s9s&to=10.42.1.9&proto=icmp&kind=ping');
  await lab.testid('flow.size').fill('1472');
  await lab.testid('flow.df').selectOption('do');
  await lab.testid('flow.apply').click();
  await lab.idle();
  await expect(lab.testid('trace.verdict')).toContainText('EMSGSIZE');
  await expect(lab.page).toHaveURL(/size=1472/);
  await expect(lab.page).toHaveURL(/df=do/);
  await lab.testid('flow.size').fill('1400');
  await lab.testid('flow.apply').click();
  await lab.idle();
  await expect(lab.testid('trace.verdict')).toContainText('delivered');
});

test('screenshots of the debugger panels at 900, 1280, 1440 and 1920 px', async ({ lab, page }) => {
  test.setTimeout(180_000);
  for (const width of [900, 1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: width === 1280 ? 720 : 900 });
    // the DNAT step at the path level: the strip, the group summary, why this endpoint, a search
    await lab.open(`${POD_TO_SERVICE}&step=11`);
    // below 1100 px the trace is a tab of its own
    if (width < 1100) await lab.testid('tabs.trace').click();
    await lab.testid('timeline.search').fill('KUBE-SEP');
    await lab.screenshot(`debugger-dnat-${width}`);
    // the encapsulation, expanded in place, with the conntrack table at that step
    await lab.open(`${POD_TO_SERVICE}&step=34&level=kernel`);
    await lab.testid('tabs.tables').click();
    await lab.testid('tables.tab.conntrack').click();
    await lab.screenshot(`debugger-encap-${width}`);
    await lab.compare('proxy');
    await lab.screenshot(`compare-pinned-${width}`);
  }
});
