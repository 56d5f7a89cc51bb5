import { describe, expect, it } from 'vitest';
import { labFile, looksLikeLab, parseLab } from './lab.ts';

describe('lab files', () => {
  const lab = { scenario: { preset: 'kubeadm', lan: '192.168.0.0/16', modes: { proxy: 'ipvs' as const, scheduler: 'sh' as const }, seed: 9, before: ['cp-1: kubectl scale deployment web --replicas 5'] }, flow: { from: 'client', to: '192.168.56.12:30080', proto: 'tcp' as const, kind: 'connect' as const }, cursor: 41, view: 'compare' as const };

  it('round-trip exactly, and say what they are', () => {
    const text = labFile(lab);
    expect(looksLikeLab(text)).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ kind: 'KubePacketLab', version: 1, preset: 'kubeadm', step: 42 });
    expect(parseLab(text)).toEqual({ ok: true, value: lab });
    expect(looksLikeLab('{"apiVersion": "v1", "kind": "List", "items": []}')).toBe(false);
  });

  it('name the field that is wrong', () => {
    const bad = (patch: Record<string, unknown>) => {
      const r = parseLab(JSON.stringify({ ...JSON.parse(labFile(lab)), ...patch }));
      return r.ok ? '' : r.error;
    };
    expect(bad({ version: 2 })).toBe('lab file: "version" must be 1 (a lab saved by this version of kube-packet-lab)');
    expect(bad({ step: 0 })).toBe('lab file: "step" must be a whole number ≥ 1');
    expect(bad({ modes: { proxy: 'userspace' } })).toBe('lab file: "modes.proxy" must be iptables or ipvs');
    expect(bad({ edits: ['no colon'] })).toMatch(/^lab file: "edits" must be a list/);
    expect(bad({ flow: { from: 'a' } })).toMatch(/^lab file: "flow" must be/);
    expect(parseLab('{"kind": "KubePacketLab"').ok).toBe(false);
  });
});
