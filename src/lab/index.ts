export { createLab, LabError } from './lab.js';
export type {
  Lab,
  LabNode,
  LabInterface,
  LabSpec,
  LabNodeSpec,
  LabInterfaceSpec,
  ExecResult,
} from './lab.js';
export { guideTopology } from './presets.js';
export type { GuideTopology, GuideNode } from './presets.js';
