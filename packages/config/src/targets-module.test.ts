import { describe, expect, it } from 'vitest';
import { parseLoraConfig } from './lora-config.js';
import { targetsModule } from './targets-module.js';
import { loraRank, loraScaling } from './lora-scaling.js';
import { layerIndexOf } from './module-match.js';
import { PEFT_FIXTURES, readJson } from './test-helpers.js';

const lora = (json: Record<string, unknown>) => parseLoraConfig({ peft_type: 'LORA', ...json }, 'x.json');
const q0 = 'model.layers.0.self_attn.q_proj';
const k1 = 'model.layers.1.self_attn.k_proj';
const up1 = 'model.layers.1.mlp.up_proj';

describe('targetsModule', () => {
  it('matches list entries by full name or "." suffix', () => {
    const cfg = lora({ target_modules: ['q_proj', 'layers.1.mlp.up_proj'] });
    expect(targetsModule(cfg, q0)).toBe(true);
    expect(targetsModule(cfg, up1)).toBe(true);
    expect(targetsModule(cfg, k1)).toBe(false);
    expect(targetsModule(cfg, 'model.layers.0.self_attn.xq_proj')).toBe(false);
    expect(targetsModule(lora({ target_modules: [q0] }), q0)).toBe(true);
  });

  it('treats a string as a full-match regex', () => {
    const cfg = lora({ target_modules: '.*\\.layers\\.1\\..*_proj' });
    expect(targetsModule(cfg, k1)).toBe(true);
    expect(targetsModule(cfg, q0)).toBe(false);
    expect(targetsModule(lora({ target_modules: 'q_proj' }), q0)).toBe(false);
  });

  it('restricts by layers_to_transform and layers_pattern', () => {
    const cfg = lora({ target_modules: ['q_proj', 'k_proj'], layers_to_transform: [1] });
    expect(targetsModule(cfg, q0)).toBe(false);
    expect(targetsModule(cfg, k1)).toBe(true);
    expect(targetsModule(lora({ target_modules: ['q_proj'], layers_to_transform: [0], layers_pattern: 'layers' }), q0)).toBe(true);
    expect(targetsModule(lora({ target_modules: ['q_proj'], layers_to_transform: [0], layers_pattern: 'blocks' }), q0)).toBe(false);
    expect(layerIndexOf(q0, null)).toBe(0);
    expect(layerIndexOf('lm_head', null)).toBeNull();
  });

  it('honours exclude_modules, all-linear and the null default', () => {
    expect(targetsModule(lora({ target_modules: 'all-linear', exclude_modules: ['k_proj'] }), k1)).toBe(false);
    expect(targetsModule(lora({ target_modules: 'all-linear' }), up1)).toBe(true);
    expect(targetsModule(lora({ target_modules: 'all-linear' }), 'lm_head')).toBe(false);
    expect(targetsModule(lora({}), q0)).toBe(true);
    expect(targetsModule(lora({}), k1)).toBe(false);
  });

  it('gives the fixture union of 14 modules', () => {
    const names = ['lora_qv_r4', 'lora_qkvo_r8', 'lora_mlp_r2'].map((n) =>
      parseLoraConfig(readJson(`${PEFT_FIXTURES}/adapters/${n}/adapter_config.json`), n),
    );
    const manifest = readJson(`${PEFT_FIXTURES}/manifest.json`) as { cases: Record<string, { layer_modules: string[] }> };
    const want = Object.values(manifest.cases)[0].layer_modules;
    const candidates: string[] = [];
    for (let l = 0; l < 2; l++) {
      for (const m of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
        candidates.push(`model.layers.${l}.${m}`);
      }
    }
    const got = candidates.filter((c) => names.some((cfg) => targetsModule(cfg, c)));
    expect(got).toHaveLength(14);
    expect(got.map((g) => g.replace(/^model\./, ''))).toEqual(want.map((w) => w.replace(/^.*?(layers\.)/, '$1')));
  });
});

describe('loraScaling', () => {
  it('is alpha/r, or alpha/sqrt(r) with rslora (fixture experts)', () => {
    const s = ['lora_qv_r4', 'lora_qkvo_r8', 'lora_mlp_r2'].map((n) =>
      loraScaling(parseLoraConfig(readJson(`${PEFT_FIXTURES}/adapters/${n}/adapter_config.json`), n), q0),
    );
    expect(s[0]).toBe(2);
    expect(s[1]).toBe(0.5);
    expect(s[2]).toBeCloseTo(6 / Math.SQRT2, 12);
  });

  it('honours rank_pattern and alpha_pattern keys by full name or "." suffix', () => {
    const cfg = lora({ r: 8, lora_alpha: 16, rank_pattern: { 'self_attn.q_proj': 4 }, alpha_pattern: { [k1]: 4 } });
    expect(loraRank(cfg, q0)).toBe(4);
    expect(loraScaling(cfg, q0)).toBe(4);
    expect(loraScaling(cfg, k1)).toBe(0.5);
    expect(loraScaling(cfg, up1)).toBe(2);
    expect(loraScaling(cfg, up1, 2)).toBe(8);
    expect(loraRank(cfg, 'model.layers.0.self_attn.xq_proj')).toBe(8);
  });
});
