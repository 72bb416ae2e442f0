import {
  BackendError, InputError, anyOutputShapes, checkWeights, isHostTensor, isTrainingNode,
  type AnyNode, type Backend, type BackendInfo, type DeviceTensor, type Executable, type Feed, type Graph, type GraphNode,
  type HostTensor, type RunOptions, type TrainingGraph, type WeightMap, type WeightFormat, type WeightTensor, WEIGHT_FORMATS,
} from '@xlora/core';
import { attention } from './kernels/attention.js';
import { add, mul, relu, siluMul } from './kernels/elementwise.js';
import { gather } from './kernels/gather.js';
import { geluTanhMul } from './kernels/gelu-tanh-mul.js';
import { moeMlp } from './kernels/moe-mlp.js';
import { softcap } from './kernels/softcap.js';
import { matmul } from './kernels/matmul.js';
import { rmsNorm } from './kernels/rms-norm.js';
import { rope } from './kernels/rope.js';
import { reshape, slice } from './kernels/shape-ops.js';
import { softmax } from './kernels/softmax.js';
import { xloraMixture } from './kernels/xlora-mixture.js';
import { cpuWeights } from './native-weight-uses.js';
import { runTrainingNode } from './training-kernels.js';

/**
 * Formats the kernels read directly: all of them, for MatMul weights and Gather tables (see native-weight-uses.ts;
 * a packed weight used by any other op is dequantized at compile).
 */
const CPU_WEIGHT_FORMATS: readonly WeightFormat[] = WEIGHT_FORMATS;

/** On the cpu backend a device tensor is a host tensor tagged with the backend's name. */
export interface CpuTensor extends DeviceTensor {
  readonly host: HostTensor;
}

class CpuExecutable {
  constructor(readonly graph: TrainingGraph, readonly weights: ReadonlyMap<string, WeightTensor>) {}
  dispose(): void {}
}

/** `weights[i]` may be packed only where cpuWeights allows it: MatMul's input 1 and Gather's input 0. */
function runNode(node: GraphNode, weights: WeightTensor[], outShapes: number[][]): HostTensor[] {
  const ins = weights as HostTensor[];
  switch (node.op) {
    case 'Gather': return [gather(weights[0], ins[1])];
    case 'MatMul': return [matmul(ins[0], weights[1], ins[2])];
    case 'Add': return [add(ins[0], ins[1])];
    case 'Mul': return [mul(ins[0], ins[1])];
    case 'RmsNorm': return [rmsNorm(ins[0], ins[1], node.attrs.eps)];
    case 'Rope': return [rope(ins[0], ins[1], node.attrs)];
    case 'Attention': return attention(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5], node.attrs);
    case 'SiluMul': return [siluMul(ins[0], ins[1])];
    case 'Relu': return [relu(ins[0])];
    case 'Softmax': return [softmax(ins[0], node.attrs.temperature)];
    case 'Reshape': return [reshape(ins[0], outShapes[0])];
    case 'Slice': return [slice(ins[0], node.attrs, outShapes[0])];
    case 'XLoraMixture': return [xloraMixture(ins[0], ins[1], ins[2], ins[3], ins[4], node.attrs)];
    case 'GeluTanhMul': return [geluTanhMul(ins[0], ins[1])];
    case 'Softcap': return [softcap(ins[0], node.attrs.cap)];
    case 'MoeMlp': return [moeMlp(ins[0], ins[1], weights.slice(2), node.attrs)];
  }
}

function runAnyNode(node: AnyNode, ins: WeightTensor[], outShapes: number[][]): HostTensor[] {
  return isTrainingNode(node) ? runTrainingNode(node, ins as HostTensor[]) : runNode(node, ins, outShapes);
}

/** The reference backend: interprets graphs node by node with plain loops, in f32 storage. */
export class CpuBackend implements Backend {
  readonly info: BackendInfo = { name: 'cpu', device: `plain TypeScript (${typeof process !== 'undefined' ? 'Node ' + process.version : 'browser'})`, supportsF16: false, weightFormats: CPU_WEIGHT_FORMATS };
  private disposed = false;

  /** Compiles inference graphs and training graphs (gradient graphs, losses: the ops of TRAINING_KERNELS) alike. */
  async compile(graph: Graph | TrainingGraph, weights: WeightMap): Promise<Executable> {
    this.check();
    checkWeights(graph as Graph, weights);
    return new CpuExecutable(graph, cpuWeights(graph as Graph, weights)) as unknown as Executable;
  }

  async run(exe: Executable, feeds: Readonly<Record<string, Feed>>, options?: RunOptions): Promise<Record<string, DeviceTensor>> {
    this.check();
    const { graph, weights } = exe as CpuExecutable;
    const values = new Map<string, WeightTensor>();
    for (const [name, t] of weights) values.set(name, t);
    for (const input of graph.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new InputError(`graph "${graph.name}": missing input "${input.name}"`);
      const host = this.toHost(feed);
      if (host.dtype !== input.dtype) throw new InputError(`input "${input.name}": expected ${input.dtype}, got ${host.dtype}`);
      values.set(input.name, host);
    }
    for (const node of graph.nodes) {
      const ins = node.inputs.map((n) => values.get(n)!);
      const shapes = anyOutputShapes(node, ins.map((t) => t.shape)) as number[][];
      const outs = runAnyNode(node, ins, shapes);
      node.outputs.forEach((name, i) => values.set(name, outs[i]));
    }
    const wanted = options?.outputs ?? graph.outputs.map((o) => o.name);
    const result: Record<string, DeviceTensor> = {};
    for (const name of wanted) {
      const t = values.get(name);
      if (!t) throw new InputError(`graph "${graph.name}" has no output "${name}"`);
      result[name] = this.wrap(t as HostTensor); // outputs are never packed: cpuWeights widens a weight that is one
    }
    return result;
  }

  upload(t: HostTensor): DeviceTensor {
    return this.wrap(t);
  }

  async read(t: DeviceTensor): Promise<HostTensor> {
    return this.toHost(t);
  }

  release(): void {}

  dispose(): void {
    this.disposed = true;
  }

  private wrap(host: HostTensor): CpuTensor {
    return { backend: 'cpu', dtype: host.dtype, shape: host.shape, host };
  }

  private toHost(t: Feed): HostTensor {
    if (isHostTensor(t)) return t;
    if (t.backend !== 'cpu') throw new BackendError(`a "${t.backend}" tensor was passed to the cpu backend`);
    return (t as CpuTensor).host;
  }

  private check(): void {
    if (this.disposed) throw new BackendError('the cpu backend was disposed');
  }
}

export async function createCpuBackend(): Promise<CpuBackend> {
  return new CpuBackend();
}
