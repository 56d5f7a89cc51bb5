import { chromium } from '@playwright/test';
const base = 'http://127.0.0.1:4395';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const errors = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type()==='warning') errors.push(m.type()+': '+m.text()); });
page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
const st = () => page.evaluate(() => window.__kplTest?.state());
async function idle() { for (let i = 0; i < 200; i++) { const s = await st(); if (s && s.events > 0 && !s.pending) return; await page.waitForTimeout(100); } console.log('idle timeout'); }
const tid = (id) => page.getByTestId(id);
async function shot(n) { await page.waitForTimeout(300); await page.screenshot({ path: `/tmp/shots/${n}.png` }); }
await page.goto(base + '/?speed=instant'); await idle();
const opts = await tid('flow.preset').locator('option').allTextContents();
console.log('presets', JSON.stringify(opts));
console.log('clusters', JSON.stringify(await tid('scenario.cluster').locator('option').allTextContents()));
await shot('00-initial');
const mode = process.argv[2] || 'a';
if (mode === 'a') {
  let i = 0;
  for (const o of opts) {
    await tid('flow.preset').selectOption({ label: o }); await idle();
    await tid('controls.to-end').click().catch(()=>{});
    await shot(`p${String(i).padStart(2,'0')}-${o.replace(/[^a-z0-9]+/gi,'_').slice(0,30)}`);
    const v = await tid('trace.verdict').textContent().catch(()=>'');
    console.log(i, o, '=>', v, JSON.stringify(await st()));
    i++;
  }
}
console.log('ERRORS', errors);
await browser.close();
