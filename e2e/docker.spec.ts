import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

test('docker preset: the Docker host, its shared namespaces and host-network container; container mode over lo', async ({ lab }) => {
  await lab.open();
  await lab.loadCluster('docker');
  const host = lab.testid('topology.host.docker-host');
  await expect(host).toHaveClass(/role-docker-host/);
  await expect(host).toContainText('Docker Engine');
  // a host-mode container has no namespace of its own: it is shown on the host
  await expect(lab.testid('topology.hostnet.hostnet')).toHaveText('hostnet: nginx :80 (host network)');
  // the namespace web and sidecar share, and the pod's (pause + two app containers)
  await expect(lab.testid('topology.members.web+sidecar')).toHaveText('web + sidecar');
  await expect(lab.testid('topology.members.nginx-pod')).toHaveText('nginx + log-shipper');
  await expect(lab.testid('topology.ns.docker-host.nginx-pod')).toContainText('pod nginx-pod');
  await expect(lab.testid('topology.ns.docker-host.batch')).toContainText('none: lo only');

  await lab.choosePreset(/container mode over lo/i);
  await expect(lab.testid('trace.verdict')).toContainText('delivered at docker-host / web+sidecar');
  const steps = await lab.transcript();
  expect(steps.some((t) => /transmit on lo/.test(t))).toBe(true);
  expect(steps.some((t) => /eth0|docker0/.test(t))).toBe(false);
  await lab.stepUntil(async () => (await lab.testid('inspector.dev').count()) > 0 && (await lab.testid('inspector.dev').textContent()) === 'lo', 'the lo step');
  await expect(lab.testid('inspector.netns')).toHaveText('container web+sidecar');
  await expect(lab.testid('topology.dev.docker-host.web+sidecar.lo')).toHaveClass(/active/);
  await expect(lab.field('ipv4.dst')).toHaveText('127.0.0.1');
  await lab.screenshot('docker');

  // docker ps on the Docker host lists the containers, host mode included
  const out = await lab.run('docker-host', 'docker ps');
  await expect(out).toContainText('hostnet');
  await expect(out).toContainText('0.0.0.0:8080->80/tcp');
});

test('docker: the pod’s two containers talk over lo', async ({ lab }) => {
  await lab.open('?cluster=docker');
  await lab.choosePreset(/pod nginx-pod/i);
  await expect(lab.testid('trace.verdict')).toContainText('delivered at docker-host / nginx-pod');
  expect((await lab.transcript()).some((t) => /transmit on lo/.test(t))).toBe(true);
});
