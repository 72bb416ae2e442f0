import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import { strftimeNow } from './chat-template-strftime.js';

/**
 * Bounds on one chat-template render. A chat template comes with the checkpoint, so it is untrusted input: without
 * bounds `range(10**9)` aborts V8 (an uncatchable "invalid size" crash) and two nested loops of 1e5 hang forever.
 */
export interface ChatTemplateLimits {
  /**
   * Work budget: one step per evaluated node and loop iteration, plus the size of every list, mapping or string
   * (per 64 characters) handed to a loop, operator, filter or function call.
   */
  maxSteps: number;
  /** Longest string (the output included), in UTF-16 code units; also bounds indent widths. */
  maxStringLength: number;
  /** Longest list (range() results, concatenations). */
  maxListLength: number;
  /** Deepest nesting of evaluations (macro recursion). */
  maxDepth: number;
}

export const MAX_CHAT_TEMPLATE_STEPS = 1_000_000;
export const MAX_CHAT_TEMPLATE_STRING_LENGTH = 1 << 20;
export const MAX_CHAT_TEMPLATE_LIST_LENGTH = 100_000;
export const MAX_CHAT_TEMPLATE_DEPTH = 400;

export const DEFAULT_CHAT_TEMPLATE_LIMITS: Readonly<ChatTemplateLimits> = Object.freeze({
  maxSteps: MAX_CHAT_TEMPLATE_STEPS,
  maxStringLength: MAX_CHAT_TEMPLATE_STRING_LENGTH,
  maxListLength: MAX_CHAT_TEMPLATE_LIST_LENGTH,
  maxDepth: MAX_CHAT_TEMPLATE_DEPTH,
});

/** A template went over one of its limits. */
export class ChatTemplateLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateLimitError';
  }
}

/** The template called raise_exception(message) on purpose (e.g. "Conversation roles must alternate"). */
export class ChatTemplateRaisedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateRaisedError';
  }
}

// Structural views of @huggingface/jinja's AST nodes and runtime values (its classes are not all exported).
interface Node { type: string; [key: string]: unknown }
interface Value { type: string; value: unknown }

/** Parses a template as transformers does (trim_blocks, lstrip_blocks). Throws the parser's own errors. */
export function parseChatTemplate(source: string): ReturnType<typeof parse> {
  return parse(tokenize(source, { lstrip_blocks: true, trim_blocks: true }));
}

/**
 * Renders a parsed template with @huggingface/jinja's interpreter under `limits`. Pure JS (browsers too): the
 * interpreter's `evaluate` is wrapped to count steps, track depth and check the size of every value it produces,
 * and `range` is replaced by a bounded one. Errors are the interpreter's, or ChatTemplateLimitError /
 * ChatTemplateRaisedError.
 */
export function renderBounded(program: ReturnType<typeof parse>, variables: Record<string, unknown>, limits: Partial<ChatTemplateLimits> = {}): string {
  const lim: ChatTemplateLimits = { ...DEFAULT_CHAT_TEMPLATE_LIMITS, ...limits };
  let steps = 0;
  let depth = 0;
  const charge = (n: number) => {
    steps += n;
    if (steps > lim.maxSteps) throw new ChatTemplateLimitError(`rendering took more than ${lim.maxSteps} steps (a loop or recursion that does not end, or too much work)`);
  };
  const checkList = (n: number) => {
    if (n > lim.maxListLength) throw new ChatTemplateLimitError(`a list of ${n} items is longer than the limit of ${lim.maxListLength}`);
  };

  const env = new Environment();
  for (const [name, value] of [['false', false], ['true', true], ['none', null], ['False', false], ['True', true], ['None', null]] as const) env.set(name, value);
  env.set('raise_exception', (message: unknown) => {
    throw new ChatTemplateRaisedError(`the template raised an exception: ${String(message)}`);
  });
  env.set('strftime_now', (format: unknown) => strftimeNow(String(format)));
  for (const [key, value] of Object.entries(variables)) env.set(key, value);
  env.set('range', (...args: unknown[]) => boundedRange(args, lim.maxListLength, charge));

  const interpreter = new Interpreter(env);
  const evaluate = interpreter.evaluate.bind(interpreter);
  const sized = new WeakSet<object>(); // nodes whose values are charged by size where they are used
  const widths = new WeakSet<object>(); // nodes whose integer values become string widths (indent)
  interpreter.evaluate = (statement, scope) => {
    if (!statement) return evaluate(statement, scope);
    const node = statement as unknown as Node;
    charge(1);
    markOperands(node, sized, widths);
    if (++depth > lim.maxDepth) throw new ChatTemplateLimitError(`evaluation nested more than ${lim.maxDepth} deep (a macro that calls itself without end?)`);
    let result;
    try {
      result = evaluate(statement, scope);
    } finally {
      depth--;
    }
    const value = result as unknown as Value;
    const size = sizeOf(value);
    if (value.type === 'StringValue' && size > lim.maxStringLength) {
      throw new ChatTemplateLimitError(`a string of ${size} characters is longer than the limit of ${lim.maxStringLength}`);
    }
    if (value.type === 'ArrayValue' || value.type === 'TupleValue') checkList(size);
    if (sized.has(node)) charge(value.type === 'StringValue' ? Math.ceil(size / 64) : size);
    if (widths.has(node) && typeof value.value === 'number' && Math.abs(value.value) > lim.maxStringLength) {
      throw new ChatTemplateLimitError(`a width of ${value.value} is larger than the string limit of ${lim.maxStringLength}`);
    }
    return result;
  };
  const out = interpreter.run(program) as unknown as Value;
  return String(out.value);
}

function sizeOf(value: Value): number {
  const v = value.value;
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  return 0;
}

/** Marks the children of `node` whose values a loop, operator, filter or call walks over. */
function markOperands(node: Node, sized: WeakSet<object>, widths: WeakSet<object>): void {
  const mark = (child: unknown) => {
    if (typeof child === 'object' && child !== null) sized.add(child);
  };
  switch (node.type) {
    case 'For': {
      const iterable = node.iterable as Node;
      mark(iterable.type === 'SelectExpression' ? iterable.lhs : iterable);
      break;
    }
    case 'BinaryExpression':
      mark(node.left);
      mark(node.right);
      break;
    case 'FilterExpression':
    case 'TestExpression':
      mark(node.operand);
      if ((node.filter as Node | undefined)?.type === 'CallExpression') {
        const call = node.filter as Node;
        const name = (call.callee as Node).value;
        if (name === 'indent' || name === 'tojson' || name === 'center') {
          for (const arg of call.args as Node[]) widths.add(arg.type === 'KeywordArgumentExpression' ? (arg.value as Node) : arg);
        }
      }
      break;
    case 'CallExpression':
      for (const arg of node.args as Node[]) mark(arg.type === 'KeywordArgumentExpression' || arg.type === 'SpreadExpression' ? (arg.value ?? arg.argument) : arg);
      if ((node.callee as Node).type === 'MemberExpression') mark((node.callee as Node).object);
      break;
  }
}

/** Python's range(stop) / range(start, stop[, step]), refusing more than `maxLength` items before building any. */
function boundedRange(args: unknown[], maxLength: number, charge: (n: number) => void): number[] {
  const nums = args.filter((a) => !(a instanceof Map));
  if (nums.length < 1 || nums.length > 3 || !nums.every((n) => Number.isInteger(n))) {
    throw new Error('range() takes 1 to 3 integer arguments');
  }
  const [start, stop, step] = nums.length === 1 ? [0, nums[0] as number, 1] : [nums[0] as number, nums[1] as number, (nums[2] as number | undefined) ?? 1];
  if (step === 0) throw new Error('range() step must not be zero');
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > maxLength) throw new ChatTemplateLimitError(`range() of ${length} items is longer than the limit of ${maxLength}`);
  charge(length);
  return Array.from({ length }, (_, i) => start + i * step);
}
