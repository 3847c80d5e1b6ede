export { Pipeline, type PipelineParams, type PipelineModel, type Task } from './pipeline.ts';
