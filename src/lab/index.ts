export { createLab, listLabs, namespacesOf, openLab, removeLab, LabError } from './lab.js';
export type {
  Lab,
  LabNode,
  LabInterface,
  LabSpec,
  LabOptions,
  LabExecOptions,
  LabNodeSpec,
  LabInterfaceSpec,
  ExecResult,
} from './lab.js';
export { guideTopology, natTopology } from './presets.js';
export type { GuideTopology, GuideNode, NatTopology } from './presets.js';
