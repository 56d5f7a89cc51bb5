import { describe, expect, it } from 'vitest';
import type { ContainerView } from '../../worker/protocol.ts';
import { hostNetworkBadges, namespaceMembers } from './docker.ts';

const c = (name: string, more: Partial<ContainerView>): ContainerView => ({ name, host: 'docker-host', image: 'nginx:1.25', mode: 'bridge', network: 'bridge', owner: name, listen: [], publish: [], ...more });
const containers = [
  c('web', { listen: ['80/tcp'], publish: ['0.0.0.0:8080->80/tcp'] }),
  c('nginx-pod', { image: 'registry.k8s.io/pause:3.9', pod: 'nginx-pod' }),
  c('nginx', { mode: 'container', owner: 'nginx-pod', pod: 'nginx-pod', listen: ['80/tcp'] }),
  c('log-shipper', { mode: 'container', owner: 'nginx-pod', pod: 'nginx-pod', image: 'fluent/fluent-bit:2.2' }),
  c('hostnet', { mode: 'host', listen: ['80/tcp'] }),
  c('sidecar', { mode: 'container', owner: 'web', image: 'busybox:1.36' }),
  c('batch', { mode: 'none', image: 'python:3.12-slim' }),
];
const ns = (name: string) => ({ name, kind: 'container' as const, devices: [] });

describe('docker in the topology', () => {
  it('lists the containers of a shared namespace', () => {
    expect(namespaceMembers(ns('web+sidecar'), 'docker-host', containers)).toMatchObject({ names: ['web', 'sidecar'], apps: ['web', 'sidecar'], mode: 'docker0 (bridge)' });
    // a pod: the pause container holds the namespace, the apps join it
    expect(namespaceMembers(ns('nginx-pod'), 'docker-host', containers)).toMatchObject({ names: ['nginx-pod', 'nginx', 'log-shipper'], apps: ['nginx', 'log-shipper'], pod: 'nginx-pod' });
    expect(namespaceMembers(ns('batch'), 'docker-host', containers).mode).toBe('none: lo only');
    // without container data: the names the core joined with +
    expect(namespaceMembers(ns('web+sidecar'), 'docker-host', []).names).toEqual(['web', 'sidecar']);
  });

  it('shows host-network containers on their host', () => {
    expect(hostNetworkBadges('docker-host', containers).map((b) => b.text)).toEqual(['hostnet: nginx :80 (host network)']);
    expect(hostNetworkBadges('other', containers)).toEqual([]);
  });
});
