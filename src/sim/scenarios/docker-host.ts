import { SEED_LAN_ITEMS } from './seed-cluster.ts';

/**
 * Seed §2 ("Intra-Host Networking") as a cluster file: one Docker host on the seed's LAN with a
 * container in each of Docker's four network modes, a user-defined bridge network, and a
 * Kubernetes-style pod — a pause (infrastructure) container whose network namespace its app
 * containers share, so they talk over lo.
 *
 *   web        bridge (docker0, 172.17.0.2), nginx, `-p 8080:80`
 *   nginx-pod  the pod's pause container on docker0 (172.17.0.3); nginx and log-shipper join it
 *   db         the user-defined network `backend` (br-<id>, 172.18.0.2), postgres
 *   hostnet    --network host: nginx on the host's own port 80
 *   sidecar    --network container:web: web's namespace, reaches nginx on 127.0.0.1:80
 *   batch      --network none: only lo
 *
 * The LAN around it is the seed's: gateway 192.168.205.1, the client 192.168.205.100, and a web
 * server behind the gateway (203.0.113.10) to show MASQUERADE.
 */
export const DOCKER_HOST_YAML = `apiVersion: v1
kind: List
items:
${SEED_LAN_ITEMS}- apiVersion: kube-packet-lab.dev/v1
  kind: DockerHost
  metadata: {name: docker-host}
  spec:
    network: lan
    nic: enp0s1
    address: 192.168.205.10/24
    gateway: 192.168.205.1
- apiVersion: kube-packet-lab.dev/v1
  kind: DockerNetwork
  metadata: {name: backend}
  spec: {host: docker-host}
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: web}
  spec:
    image: nginx:1.25
    network: bridge
    publish: ["8080:80"]
    listen:
    - {protocol: TCP, port: 80}
    startedAgo: 3h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: nginx-pod}
  spec:
    image: registry.k8s.io/pause:3.9
    network: bridge
    pod: nginx-pod
    startedAgo: 2h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: nginx}
  spec:
    image: nginx:1.25
    network: container:nginx-pod
    pod: nginx-pod
    listen:
    - {protocol: TCP, port: 80}
    startedAgo: 2h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: log-shipper}
  spec:
    image: fluent/fluent-bit:2.2
    network: container:nginx-pod
    pod: nginx-pod
    listen:
    - {protocol: TCP, port: 24224}
    startedAgo: 2h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: db}
  spec:
    image: postgres:16
    network: backend
    listen:
    - {protocol: TCP, port: 5432}
    startedAgo: 3h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: hostnet}
  spec:
    image: nginx:1.25
    network: host
    listen:
    - {protocol: TCP, port: 80}
    startedAgo: 45m
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: sidecar}
  spec:
    image: busybox:1.36
    command: sleep infinity
    network: container:web
    startedAgo: 3h
- apiVersion: kube-packet-lab.dev/v1
  kind: Container
  metadata: {name: batch}
  spec:
    image: python:3.12-slim
    command: python /app/batch.py
    network: none
    startedAgo: 10m
`;
