// The world map for the sales map: Natural Earth countries from the world-atlas package
// (TopoJSON, bundled: no tiles, nothing fetched), turned into GeoJSON and registered with ECharts.
import { feature } from 'topojson-client';
import countries from 'world-atlas/countries-110m.json';
import { echarts } from './charts.ts';

let registered = false;

export function registerWorld(): void {
  if (registered) return;
  const topo = countries as any;
  const geo = feature(topo, topo.objects.countries) as any;
  echarts.registerMap('world', geo);
  registered = true;
}

/** Country names as the sales data spells them (Online Retail) → the atlas's names. */
const ALIASES: Record<string, string> = {
  EIRE: 'Ireland', USA: 'United States of America', 'United States': 'United States of America', RSA: 'South Africa',
  'Czech Republic': 'Czechia', 'European Community': '', Unspecified: '',
};

export function mapName(country: string): string {
  return ALIASES[country] ?? country;
}
