import { fnv32a, hashName, podTemplateHash } from '../../k8s/names.ts';

/**
 * Kubernetes objects as `kubectl get -o json|yaml` prints them from a live cluster — uid,
 * resourceVersion, creationTimestamp, managedFields, ownerReferences, conditions, container
 * statuses — so the example dumps carry the same noise a user's own dump does. Deterministic:
 * every uid and timestamp derives from the object's name.
 */

export type Json = Record<string, unknown>;

/** The moment the dumps were taken; objects are older. */
const NOW = Date.parse('2024-03-04T10:00:00Z');

export function stamp(agoSeconds: number): string {
  return new Date(NOW - agoSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function uid(seed: string): string {
  const h = (s: string) => fnv32a(s).toString(16).padStart(8, '0');
  const a = h(seed) + h(`${seed}/1`) + h(`${seed}/2`) + h(`${seed}/3`);
  return `${a.slice(0, 8)}-${a.slice(8, 12)}-4${a.slice(13, 16)}-a${a.slice(17, 20)}-${a.slice(20, 32)}`;
}

/** fieldsV1 as the API server records it: `f:` + every key the manager set. */
function fieldsOf(o: unknown): unknown {
  if (Array.isArray(o)) return {};
  if (typeof o !== 'object' || o === null) return {};
  const out: Json = { '.': {} };
  for (const [k, v] of Object.entries(o)) out[`f:${k}`] = typeof v === 'object' && v !== null && !Array.isArray(v) ? fieldsOf(v) : {};
  return out;
}

export function meta(kind: string, name: string, o: { namespace?: string; labels?: Json; annotations?: Json; ageSeconds: number; owner?: { kind: string; name: string; apiVersion?: string }; manager?: string; body?: Json }): Json {
  const created = stamp(o.ageSeconds);
  return {
    ...(o.annotations ? { annotations: o.annotations } : {}),
    creationTimestamp: created,
    ...(o.labels ? { labels: o.labels } : {}),
    managedFields: [
      {
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsOf({ metadata: { labels: o.labels ?? {}, annotations: o.annotations ?? {} }, ...(o.body ?? {}) }),
        manager: o.manager ?? 'kubectl-client-side-apply',
        operation: 'Update',
        time: created,
      },
    ],
    name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.owner
      ? { ownerReferences: [{ apiVersion: o.owner.apiVersion ?? 'apps/v1', blockOwnerDeletion: true, controller: true, kind: o.owner.kind, name: o.owner.name, uid: uid(`${o.owner.kind}/${o.namespace}/${o.owner.name}`) }] }
      : {}),
    resourceVersion: String(1000 + (fnv32a(`${kind}/${o.namespace ?? ''}/${name}`) % 900000)),
    uid: uid(`${kind}/${o.namespace ?? ''}/${name}`),
  };
}

export interface NodeOpts {
  readonly name: string;
  readonly ip: string;
  readonly podCIDR: string;
  readonly controlPlane?: boolean;
  /** kubeadm taints its control plane; k3s does not */
  readonly taint?: boolean;
  readonly vtepMac?: string;
  readonly backend?: 'vxlan' | 'host-gw';
  readonly kubelet: string;
  readonly runtime: string;
  readonly os: string;
  readonly kernel: string;
  readonly extraLabels?: Json;
  readonly extraAnnotations?: Json;
  readonly ageSeconds: number;
}

export function node(o: NodeOpts): Json {
  const labels: Json = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': o.name,
    'kubernetes.io/os': 'linux',
    ...(o.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
    ...(o.extraLabels ?? {}),
  };
  const backend = o.backend ?? 'vxlan';
  const annotations: Json = {
    'flannel.alpha.coreos.com/backend-data': backend === 'vxlan' ? JSON.stringify({ VNI: 1, VtepMAC: o.vtepMac }) : 'null',
    'flannel.alpha.coreos.com/backend-type': backend,
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': o.ip,
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    ...(o.extraAnnotations ?? {}),
  };
  // kubelet posts node status every 10 s: the newest timestamps of a dump
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('Node', o.name, { labels, annotations, ageSeconds: o.ageSeconds, manager: 'kubelet' }),
    spec: { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR], ...(o.taint ? { taints: [{ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }] } : {}) },
    status: {
      addresses: [
        { address: o.ip, type: 'InternalIP' },
        { address: o.name, type: 'Hostname' },
      ],
      allocatable: { cpu: '2', 'ephemeral-storage': '38161122446', 'hugepages-2Mi': '0', memory: '3922224Ki', pods: '110' },
      capacity: { cpu: '2', 'ephemeral-storage': '39226748Ki', 'hugepages-2Mi': '0', memory: '4024624Ki', pods: '110' },
      conditions: [
        { lastHeartbeatTime: stamp(10), lastTransitionTime: stamp(o.ageSeconds - 30), message: 'Flannel is running on this node', reason: 'FlannelIsUp', status: 'False', type: 'NetworkUnavailable' },
        { lastHeartbeatTime: stamp(10), lastTransitionTime: stamp(o.ageSeconds), message: 'kubelet has sufficient memory available', reason: 'KubeletHasSufficientMemory', status: 'False', type: 'MemoryPressure' },
        { lastHeartbeatTime: stamp(10), lastTransitionTime: stamp(o.ageSeconds - 20), message: 'kubelet is posting ready status', reason: 'KubeletReady', status: 'True', type: 'Ready' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: uid(`boot/${o.name}`),
        containerRuntimeVersion: o.runtime,
        kernelVersion: o.kernel,
        kubeProxyVersion: o.kubelet,
        kubeletVersion: o.kubelet,
        machineID: uid(`machine/${o.name}`).replaceAll('-', ''),
        operatingSystem: 'linux',
        osImage: o.os,
        systemUUID: uid(`system/${o.name}`),
      },
    },
  };
}

export interface ContainerOpts {
  readonly name: string;
  readonly image: string;
  readonly ports?: readonly { containerPort: number; protocol?: string; name?: string; hostPort?: number }[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
}

function container(c: ContainerOpts): Json {
  return {
    ...(c.args ? { args: c.args } : {}),
    ...(c.command ? { command: c.command } : {}),
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    name: c.name,
    ...(c.ports ? { ports: c.ports.map((p) => ({ containerPort: p.containerPort, ...(p.hostPort ? { hostPort: p.hostPort } : {}), ...(p.name ? { name: p.name } : {}), protocol: p.protocol ?? 'TCP' })) } : {}),
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: `kube-api-access-${hashName(c.name)}`, readOnly: true }],
  };
}

export interface PodOpts {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Json;
  readonly node?: string;
  readonly ip?: string;
  readonly hostIP?: string;
  readonly hostNetwork?: boolean;
  readonly containers: readonly ContainerOpts[];
  readonly initContainers?: readonly ContainerOpts[];
  readonly owner?: { kind: string; name: string; apiVersion?: string };
  readonly phase?: 'Running' | 'Pending' | 'Succeeded' | 'Failed';
  readonly restarts?: number;
  readonly ageSeconds: number;
  readonly priorityClassName?: string;
}

export function pod(o: PodOpts): Json {
  const phase = o.phase ?? 'Running';
  const started = stamp(o.ageSeconds - 2);
  const running = phase === 'Running';
  const scheduled = o.node !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('Pod', o.name, { namespace: o.namespace, labels: o.labels, ageSeconds: o.ageSeconds, owner: o.owner, manager: 'kubelet', body: { spec: { containers: {} } } }),
    spec: {
      containers: o.containers.map(container),
      dnsPolicy: o.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      enableServiceLinks: true,
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      ...(o.initContainers ? { initContainers: o.initContainers.map(container) } : {}),
      ...(o.node ? { nodeName: o.node } : {}),
      preemptionPolicy: 'PreemptLowerPriority',
      priority: o.priorityClassName ? 2000001000 : 0,
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      restartPolicy: phase === 'Succeeded' || phase === 'Failed' ? 'OnFailure' : 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
    },
    status: {
      conditions: [
        { lastProbeTime: null, lastTransitionTime: started, status: running || phase === 'Succeeded' ? 'True' : 'False', type: 'Initialized' },
        { lastProbeTime: null, lastTransitionTime: started, status: running ? 'True' : 'False', type: 'Ready' },
        { lastProbeTime: null, lastTransitionTime: started, status: running ? 'True' : 'False', type: 'ContainersReady' },
        scheduled
          ? { lastProbeTime: null, lastTransitionTime: stamp(o.ageSeconds), status: 'True', type: 'PodScheduled' }
          : { lastProbeTime: null, lastTransitionTime: stamp(o.ageSeconds), message: '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod..', reason: 'Unschedulable', status: 'False', type: 'PodScheduled' },
      ],
      ...(scheduled
        ? {
            containerStatuses: o.containers.map((c, i) => ({
              containerID: `containerd://${fnv32a(`${o.name}/${c.name}`).toString(16).padStart(8, '0').repeat(8)}`,
              image: c.image,
              imageID: `${c.image.split(':')[0]}@sha256:${fnv32a(c.image).toString(16).padStart(8, '0').repeat(8)}`,
              lastState: {},
              name: c.name,
              ready: running,
              restartCount: i === 0 ? (o.restarts ?? 0) : 0,
              started: running,
              state: running ? { running: { startedAt: started } } : { terminated: { containerID: 'containerd://0', exitCode: 0, finishedAt: started, reason: 'Completed', startedAt: started } },
            })),
            hostIP: o.hostIP,
            ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}),
          }
        : {}),
      phase,
      qosClass: 'BestEffort',
      ...(scheduled ? { startTime: stamp(o.ageSeconds) } : {}),
    },
  };
}

export interface WorkloadOpts {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly labels: Json;
  readonly containers: readonly ContainerOpts[];
  readonly ageSeconds: number;
}

/** A Deployment, its ReplicaSet and the pod-template-hash they share (as the Deployment controller names them). */
export function deployment(o: WorkloadOpts): { deployment: Json; replicaSet: Json; hash: string; rsName: string } {
  const template = { metadata: { labels: o.labels }, spec: { containers: o.containers.map(container) } };
  const hash = podTemplateHash(JSON.stringify(template));
  const rsName = `${o.name}-${hash}`;
  const status = { availableReplicas: o.replicas, observedGeneration: 1, readyReplicas: o.replicas, replicas: o.replicas };
  const spec = (extra: Json) => ({ replicas: o.replicas, selector: { matchLabels: { ...o.labels, ...extra } }, template: { metadata: { labels: { ...o.labels, ...extra } }, spec: template.spec } });
  return {
    hash,
    rsName,
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...meta('Deployment', o.name, { namespace: o.namespace, labels: o.labels, annotations: { 'deployment.kubernetes.io/revision': '1' }, ageSeconds: o.ageSeconds }), generation: 1 },
      spec: { progressDeadlineSeconds: 600, revisionHistoryLimit: 10, strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' }, ...spec({}) },
      status: { ...status, conditions: [{ lastTransitionTime: stamp(o.ageSeconds - 5), lastUpdateTime: stamp(o.ageSeconds - 5), message: 'Deployment has minimum availability.', reason: 'MinimumReplicasAvailable', status: 'True', type: 'Available' }], updatedReplicas: o.replicas },
    },
    replicaSet: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { ...meta('ReplicaSet', rsName, { namespace: o.namespace, labels: { ...o.labels, 'pod-template-hash': hash }, annotations: { 'deployment.kubernetes.io/desired-replicas': String(o.replicas), 'deployment.kubernetes.io/max-replicas': String(o.replicas + 1), 'deployment.kubernetes.io/revision': '1' }, ageSeconds: o.ageSeconds, owner: { kind: 'Deployment', name: o.name }, manager: 'kube-controller-manager' }), generation: 1 },
      spec: spec({ 'pod-template-hash': hash }),
      status: { ...status, fullyLabeledReplicas: o.replicas },
    },
  };
}

export function daemonSet(o: { name: string; namespace: string; labels: Json; containers: readonly ContainerOpts[]; hostNetwork?: boolean; count: number; ageSeconds: number }): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { ...meta('DaemonSet', o.name, { namespace: o.namespace, labels: o.labels, annotations: { 'deprecated.daemonset.template.generation': '1' }, ageSeconds: o.ageSeconds }), generation: 1 },
    spec: { revisionHistoryLimit: 10, selector: { matchLabels: o.labels }, template: { metadata: { labels: o.labels }, spec: { containers: o.containers.map(container), ...(o.hostNetwork ? { hostNetwork: true } : {}) } }, updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' } },
    status: { currentNumberScheduled: o.count, desiredNumberScheduled: o.count, numberAvailable: o.count, numberMisscheduled: 0, numberReady: o.count, observedGeneration: 1, updatedNumberScheduled: o.count },
  };
}

export interface ServiceOpts {
  readonly name: string;
  readonly namespace: string;
  readonly clusterIP: string;
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  readonly ports: readonly { name?: string; port: number; targetPort: number | string; protocol?: string; nodePort?: number }[];
  readonly selector?: Json;
  readonly labels?: Json;
  readonly ageSeconds: number;
  readonly loadBalancerIPs?: readonly string[];
}

export function service(o: ServiceOpts): Json {
  const type = o.type ?? 'ClusterIP';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('Service', o.name, { namespace: o.namespace, labels: o.labels, ageSeconds: o.ageSeconds }),
    spec: {
      clusterIP: o.clusterIP,
      clusterIPs: [o.clusterIP],
      ...(type !== 'ClusterIP' ? { externalTrafficPolicy: 'Cluster' } : {}),
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: o.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), ...(p.nodePort ? { nodePort: p.nodePort } : {}), port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort })),
      ...(o.selector ? { selector: o.selector } : {}),
      sessionAffinity: 'None',
      type,
    },
    status: { loadBalancer: o.loadBalancerIPs ? { ingress: o.loadBalancerIPs.map((ip) => ({ ip })) } : {} },
  };
}

export function endpointSlice(o: { service: string; name?: string; namespace: string; endpoints: readonly { ip: string; node?: string; pod?: string }[]; ports: readonly { name?: string; port: number; protocol?: string }[]; ageSeconds: number; managedBy?: string }): Json {
  const name = o.name ?? `${o.service}-${hashName(`${o.namespace}/${o.service}`)}`;
  return {
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: o.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: true, serving: true, terminating: false },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: o.namespace, uid: uid(`Pod/${o.namespace}/${e.pod}`) } } : {}),
    })),
    kind: 'EndpointSlice',
    metadata: {
      ...meta('EndpointSlice', name, {
        namespace: o.namespace,
        labels: { 'endpointslice.kubernetes.io/managed-by': o.managedBy ?? 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': o.service },
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': stamp(o.ageSeconds - 3) },
        ageSeconds: o.ageSeconds,
        owner: { kind: 'Service', name: o.service, apiVersion: 'v1' },
        manager: 'kube-controller-manager',
      }),
      ...(o.name ? {} : { generateName: `${o.service}-` }),
    },
    ports: o.ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function configMap(o: { name: string; namespace: string; data: Json; labels?: Json; ageSeconds: number }): Json {
  return { apiVersion: 'v1', data: o.data, kind: 'ConfigMap', metadata: meta('ConfigMap', o.name, { namespace: o.namespace, labels: o.labels, ageSeconds: o.ageSeconds }) };
}

export function event(o: { namespace: string; involved: string; kind: string; reason: string; message: string; ageSeconds: number }): Json {
  const name = `${o.involved}.${fnv32a(o.reason + o.message).toString(16).padStart(16, '1')}`;
  return {
    apiVersion: 'v1',
    count: 1,
    eventTime: null,
    firstTimestamp: stamp(o.ageSeconds),
    involvedObject: { apiVersion: 'v1', kind: o.kind, name: o.involved, namespace: o.namespace },
    kind: 'Event',
    lastTimestamp: stamp(o.ageSeconds),
    message: o.message,
    metadata: meta('Event', name, { namespace: o.namespace, ageSeconds: o.ageSeconds, manager: 'kubelet' }),
    reason: o.reason,
    reportingComponent: 'kubelet',
    reportingInstance: '',
    source: { component: 'kubelet' },
    type: 'Normal',
  };
}

/**
 * The order `kubectl get nodes,pods,services,endpointslices,configmaps,deployments,replicasets,
 * daemonsets,events -A` prints: kind by kind as asked, each sorted by namespace and name.
 */
export function kubectlOrder(items: readonly Json[]): Json[] {
  const KINDS = ['Node', 'Pod', 'Service', 'EndpointSlice', 'ConfigMap', 'Deployment', 'ReplicaSet', 'DaemonSet', 'Event'];
  const key = (o: Json) => {
    const md = o.metadata as { namespace?: string; name?: string };
    return `${String(KINDS.indexOf(o.kind as string)).padStart(2, '0')}/${md.namespace ?? ''}/${md.name ?? ''}`;
  };
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `kubectl get … -o json`: a List with 4-space indentation. */
export function jsonList(items: readonly Json[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', items: kubectlOrder(items), kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`;
}
