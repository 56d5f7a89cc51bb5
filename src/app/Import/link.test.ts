import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { kubeadmFlannelJson } from '../../sim/scenarios/examples/kubeadm.ts';
import { clusterFromHash, clusterHash, LINK_MAX_CHARS } from './link.ts';

const KUBEADM_FLANNEL_JSON = kubeadmFlannelJson();

describe('a cluster in the share link', () => {
  it('round-trips through #cluster= and is much shorter than the file', async () => {
    const hash = await clusterHash(KUBEADM_FLANNEL_JSON);
    expect(hash).toMatch(/^#cluster=[A-Za-z0-9_-]+$/);
    expect(hash!.length).toBeLessThan(KUBEADM_FLANNEL_JSON.length / 5);
    expect(await clusterFromHash(hash!)).toEqual({ ok: true, text: KUBEADM_FLANNEL_JSON });
    expect(await clusterFromHash('#step=3')).toBeUndefined();
  });

  it('says when the text will not fit, and refuses a broken or explosive fragment', async () => {
    // random text does not compress: past the link limit
    let noise = '';
    for (let i = 0; noise.length < LINK_MAX_CHARS * 2; i++) noise += Math.imul(i, 2654435761).toString(36);
    expect(await clusterHash(noise)).toBeNull();
    expect(await clusterFromHash('#cluster=%%%')).toEqual({ ok: false, error: "the link's cluster is not base64url text (was the link cut or changed?)" });
    const broken = await clusterFromHash('#cluster=AAAA');
    expect(broken && !broken.ok && broken.error).toMatch(/^the link's cluster could not be read/);
    // 60 MB of zeros deflates to a few dozen KB: it must not inflate past the file limit
    const bomb = deflateSync(new Uint8Array(60 * 1024 * 1024));
    let b64 = '';
    for (let i = 0; i < bomb.length; i += 0x8000) b64 += String.fromCharCode(...bomb.subarray(i, i + 0x8000));
    const r = await clusterFromHash(`#cluster=${btoa(b64).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}`);
    expect(r && !r.ok && r.error).toMatch(/it would inflate past 50 MB/);
  });
});
