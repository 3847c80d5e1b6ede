// echarts-gl ships no type declarations: its chart and component entry points, as used here.
declare module 'echarts-gl/charts' { export const Scatter3DChart: any; }
declare module 'echarts-gl/components' { export const Grid3DComponent: any; }
