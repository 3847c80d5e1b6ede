// Synthetic worlds: seeded, deterministic, streaming, so the product runs with no data at all.
export { musicWorld, musicTastes, GENRES } from './music.ts';
export type { MusicWorld, MusicWorldOptions, MusicUser, Track, MusicTaste, MusicEvent } from './music.ts';
export { retailWorld, retailTruth, CATEGORIES, MONTH_DEMAND, WEEKDAY_DEMAND } from './retail.ts';
export type { RetailWorld, RetailWorldOptions, Customer, Product, CustomerTruth } from './retail.ts';
export { peopleStream, expectedIncome, JOBS, PEOPLE_COUNTRIES } from './people.ts';
export type { PeopleStreamOptions } from './people.ts';
export { writeNdjsonTo, writeNdjsonFile, writeDimensions, writeWorld } from './ndjson.ts';
export type { WrittenFile } from './ndjson.ts';
export { postEvents, eventsUrl } from './post.ts';
export type { PostOptions, PostProgress, PostSummary } from './post.ts';
