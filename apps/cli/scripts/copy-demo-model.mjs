// Copies the bundled demo model (repository models/xlora-demo, 12 MB) into the package before `pack`, so
// `xlora demo` works from an installed package. The copy is git-ignored.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../../../models/xlora-demo/', import.meta.url);
const to = new URL('../models/xlora-demo/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
