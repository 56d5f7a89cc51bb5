import { parseCluster, type ClusterSpec } from '../k8s/spec.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';

/**
 * The seed file read, as the controllers take it. Node reads it here, from the YAML; the
 * worker's build runs this module at build time and ships the value as data (vite.config.ts,
 * `prebuilt`), so the default lab's first trace needs neither the YAML parser nor the reader.
 * seed-spec.test.ts checks the value survives that trip unchanged.
 */
export const SEED_SPEC: ClusterSpec = readSeed();

function readSeed(): ClusterSpec {
  const r = parseCluster(SEED_CLUSTER_YAML);
  if (!r.ok) throw new Error(`the seed cluster file does not read: ${r.error.where}: ${r.error.message}`);
  return r.value;
}
