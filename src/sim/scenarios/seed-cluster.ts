/**
 * The machines around the seed's cluster, as `kind: List` items: the LAN 192.168.205.0/24 with
 * its gateway 192.168.205.1, an external client (192.168.205.100, a Mac) and a web server behind
 * the gateway (203.0.113.10). Shared by every preset set on that LAN.
 */
export const SEED_LAN_ITEMS = `- apiVersion: kube-packet-lab.dev/v1
  kind: Network
  metadata: {name: lan}
  spec: {cidr: 192.168.205.0/24, gateway: 192.168.205.1}
- apiVersion: kube-packet-lab.dev/v1
  kind: Network
  metadata: {name: wan}
  spec: {cidr: 203.0.113.0/24}
- apiVersion: kube-packet-lab.dev/v1
  kind: Host
  metadata: {name: gateway}
  spec:
    role: gateway
    ipForward: true
    interfaces:
    - {name: eth0, network: lan, address: 192.168.205.1/24}
    - {name: eth1, network: wan, address: 203.0.113.1/24}
- apiVersion: kube-packet-lab.dev/v1
  kind: Host
  metadata: {name: client}
  spec:
    role: client
    os: macos
    interfaces:
    - {name: en0, network: lan, address: 192.168.205.100/24}
    gateway: 192.168.205.1
- apiVersion: kube-packet-lab.dev/v1
  kind: Host
  metadata: {name: example}
  spec:
    role: client
    interfaces:
    - {name: eth0, network: wan, address: 203.0.113.10/24}
    gateway: 203.0.113.1
    listen:
    - {protocol: TCP, port: 80, process: nginx}
`;

/**
 * The seed's test environment (kubernetes-network.md §1c) as the objects `kubectl get -o yaml`
 * prints, plus the machines around it (the LAN's gateway, an external client, a web server
 * behind the gateway) as kube-packet-lab `Host`/`Network` objects.
 *
 * Pods: the §3-5 endpoints 10.42.1.6 (node1) and 10.42.2.6 (node2), whose names the seed does
 * not give, and the §6 pods nginx-test-7646687cc4-n8s9s (10.42.0.65, master) and -z8xnq
 * (10.42.1.9, node1). The EndpointSlice is the §3-5 moment.
 *
 * VTEP MACs: node1's 62:c8:a9:ce:ca:4e is the seed's. The seed's captures disagree on node2's
 * (neighbour table ca:cb:1f:99:10:97, FDB ee:87:b2:4a:fd:62, taken at different times); a
 * consistent node has one, so node2 uses the FDB's. master's is not in the seed.
 */
export const SEED_CLUSTER_YAML = `apiVersion: v1
kind: List
items:
${SEED_LAN_ITEMS}- apiVersion: v1
  kind: Node
  metadata:
    name: master
    labels: {node-role.kubernetes.io/master: "true", node-role.kubernetes.io/control-plane: "true"}
    annotations:
      flannel.alpha.coreos.com/backend-type: vxlan
      flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"a6:3e:52:19:7c:d1"}'
      flannel.alpha.coreos.com/public-ip: 192.168.205.4
      flannel.alpha.coreos.com/kube-subnet-manager: "true"
  spec: {podCIDR: 10.42.0.0/24, podCIDRs: [10.42.0.0/24]}
  status:
    addresses:
    - {type: InternalIP, address: 192.168.205.4}
    - {type: Hostname, address: master}
- apiVersion: v1
  kind: Node
  metadata:
    name: node1
    annotations:
      flannel.alpha.coreos.com/backend-type: vxlan
      flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"62:c8:a9:ce:ca:4e"}'
      flannel.alpha.coreos.com/public-ip: 192.168.205.3
      flannel.alpha.coreos.com/kube-subnet-manager: "true"
  spec: {podCIDR: 10.42.1.0/24, podCIDRs: [10.42.1.0/24]}
  status:
    addresses:
    - {type: InternalIP, address: 192.168.205.3}
    - {type: Hostname, address: node1}
- apiVersion: v1
  kind: Node
  metadata:
    name: node2
    annotations:
      flannel.alpha.coreos.com/backend-type: vxlan
      flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"ee:87:b2:4a:fd:62"}'
      flannel.alpha.coreos.com/public-ip: 192.168.205.5
      flannel.alpha.coreos.com/kube-subnet-manager: "true"
  spec: {podCIDR: 10.42.2.0/24, podCIDRs: [10.42.2.0/24]}
  status:
    addresses:
    - {type: InternalIP, address: 192.168.205.5}
    - {type: Hostname, address: node2}
- apiVersion: v1
  kind: Pod
  metadata:
    name: nginx-test-7646687cc4-n8s9s
    namespace: default
    labels: {app: nginx-test, pod-template-hash: 7646687cc4}
  spec:
    nodeName: master
    containers:
    - name: nginx
      image: nginx
      ports: [{containerPort: 80, protocol: TCP}]
  status: {phase: Running, podIP: 10.42.0.65, hostIP: 192.168.205.4, restartCount: 6, age: 26d, restartedAgo: 60m}
- apiVersion: v1
  kind: Pod
  metadata:
    name: nginx-test-7646687cc4-z8xnq
    namespace: default
    labels: {app: nginx-test, pod-template-hash: 7646687cc4}
  spec:
    nodeName: node1
    containers:
    - name: nginx
      image: nginx
      ports: [{containerPort: 80, protocol: TCP}]
  status: {phase: Running, podIP: 10.42.1.9, hostIP: 192.168.205.3, restartCount: 0, age: 47s}
- apiVersion: v1
  kind: Pod
  metadata:
    name: nginx-test-7646687cc4-5kqbd
    namespace: default
    labels: {app: nginx-test, pod-template-hash: 7646687cc4}
  spec:
    nodeName: node1
    containers:
    - name: nginx
      image: nginx
      ports: [{containerPort: 80, protocol: TCP}]
  status: {phase: Running, podIP: 10.42.1.6, hostIP: 192.168.205.3, restartCount: 0, age: 26d}
- apiVersion: v1
  kind: Pod
  metadata:
    name: nginx-test-7646687cc4-w7rlm
    namespace: default
    labels: {app: nginx-test, pod-template-hash: 7646687cc4}
  spec:
    nodeName: node2
    containers:
    - name: nginx
      image: nginx
      ports: [{containerPort: 80, protocol: TCP}]
  status: {phase: Running, podIP: 10.42.2.6, hostIP: 192.168.205.5, restartCount: 0, age: 26d}
- apiVersion: v1
  kind: Service
  metadata:
    name: kubernetes
    namespace: default
    labels: {component: apiserver, provider: kubernetes}
  spec:
    type: ClusterIP
    clusterIP: 10.43.0.1
    ports: [{name: https, port: 443, targetPort: 6443, protocol: TCP}]
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: kubernetes
    namespace: default
    labels: {kubernetes.io/service-name: kubernetes}
  addressType: IPv4
  endpoints:
  - addresses: [192.168.205.4]
    conditions: {ready: true}
  ports: [{name: https, port: 6443, protocol: TCP}]
- apiVersion: v1
  kind: Service
  metadata:
    name: nginx-test
    namespace: default
    labels: {app: nginx-test}
  spec:
    type: NodePort
    clusterIP: 10.43.6.58
    selector: {app: nginx-test}
    ports: [{name: 80-80, port: 80, targetPort: 80, nodePort: 32506, protocol: TCP}]
    sessionAffinity: None
    externalTrafficPolicy: Cluster
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: nginx-test-8xk2v
    namespace: default
    labels: {kubernetes.io/service-name: nginx-test}
  addressType: IPv4
  endpoints:
  - addresses: [10.42.1.6]
    conditions: {ready: true, serving: true, terminating: false}
    nodeName: node1
    targetRef: {kind: Pod, name: nginx-test-7646687cc4-5kqbd, namespace: default}
  - addresses: [10.42.2.6]
    conditions: {ready: true, serving: true, terminating: false}
    nodeName: node2
    targetRef: {kind: Pod, name: nginx-test-7646687cc4-w7rlm, namespace: default}
  ports: [{name: 80-80, port: 80, protocol: TCP}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: kube-flannel-cfg, namespace: kube-flannel}
  data:
    net-conf.json: |
      {
        "Network": "10.42.0.0/16",
        "EnableNFTables": false,
        "Backend": {
          "Type": "vxlan"
        }
      }
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: kube-proxy, namespace: kube-system}
  data:
    config.conf: |
      apiVersion: kubeproxy.config.k8s.io/v1alpha1
      kind: KubeProxyConfiguration
      mode: iptables
      clusterCIDR: 10.42.0.0/16
      ipvs:
        scheduler: rr
- apiVersion: networking.k8s.io/v1
  kind: ServiceCIDR
  # the API server's --service-cluster-ip-range as kube-proxy watches it (GA in 1.33)
  metadata: {name: kubernetes}
  spec: {cidrs: [10.43.0.0/16]}
`;
