import { apolloPreset } from './apollo-preset.js';
import { clearbitPreset } from './clearbit-preset.js';
import { pdlPreset } from './pdl-preset.js';
import type { MappingInput } from './preset-types.js';
import { segmentPreset } from './segment-preset.js';
import { webformPreset } from './webform-preset.js';
import { zoominfoPreset } from './zoominfo-preset.js';

/** Built-in mapping presets by name; a source picks one with `preset:`. */
export const SOURCE_PRESETS: Readonly<Record<string, MappingInput>> = {
  webform: webformPreset,
  segment: segmentPreset,
  clearbit: clearbitPreset,
  apollo: apolloPreset,
  pdl: pdlPreset,
  zoominfo: zoominfoPreset,
};
