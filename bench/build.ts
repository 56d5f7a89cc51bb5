/**
 * `npm run bench` (cluster size part): one cluster of `nodes` × `podsPerNode`, read from its
 * JSON file and built, in a process of its own so its memory is its own. Prints one JSON line:
 * wall and CPU milliseconds for reading the file and for building (controllers programming
 * every node), and the heap the built cluster holds. Not a test: nothing here asserts a time.
 */
import { buildCluster } from '../src/sim/k8s/cluster.ts';
import { parseCluster } from '../src/sim/k8s/spec.ts';
import { generateClusterJson } from '../src/sim/scenarios/generate.ts';

const [nodes, podsPerNode, podPrefix] = process.argv.slice(2).map(Number) as [number, number, number];
const clusterCidr = process.argv[5] ?? '10.42.0.0/16';
const text = generateClusterJson({ nodes, podsPerNode, services: 10, endpointsPerService: 6, podPrefix, clusterCidr });
const cpuMs = (a: NodeJS.CpuUsage) => (a.user + a.system) / 1000;
global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
let t = performance.now();
let cpu = process.cpuUsage();
const spec = parseCluster(text);
if (!spec.ok) throw new Error(`${spec.error.where}: ${spec.error.message}`);
const parseMs = performance.now() - t;
const parseCpuMs = cpuMs(process.cpuUsage(cpu));
t = performance.now();
cpu = process.cpuUsage();
const c = buildCluster(spec.value, {}, 1);
const buildMs = performance.now() - t;
const buildCpuMs = cpuMs(process.cpuUsage(cpu));
global.gc?.();
const heapMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
console.log(JSON.stringify({ nodes, podsPerNode, pods: c.pods.size, fileMB: +(text.length / 1e6).toFixed(1), parseMs: Math.round(parseMs), parseCpuMs: Math.round(parseCpuMs), buildMs: Math.round(buildMs), buildCpuMs: Math.round(buildCpuMs), heapMB: Math.round(heapMB), rssMB: Math.round(process.memoryUsage().rss / 1e6) }));
