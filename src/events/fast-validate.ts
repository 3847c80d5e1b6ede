// A compiled fast path for event validation. The zod schemas stay the one source of truth: each
// is turned into JSON Schema and compiled by Ajv into plain JavaScript, about ten times faster
// than interpreting it. Ajv only decides "valid"; when it says no, zod runs to produce the
// canonical message, and zod's verdict is final. A differential test keeps the two in step.
import { Ajv } from 'ajv';
import { z } from 'zod';
import { eventSchemas, type EventType } from './schemas.ts';

// unicode: false measures string lengths in UTF-16 units, as zod does
// (UTF-16 counts are never below code-point counts, so Ajv is at least as strict on maxLength;
// every minLength is 1, which both count alike). logger: false silences the option's deprecation note.
const ajv = new Ajv({ strict: false, validateFormats: false, unicode: false, allErrors: false, logger: false });

export const fastValidators = Object.fromEntries(
  Object.entries(eventSchemas).map(([type, schema]) => {
    const json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    delete json.$schema;
    return [type, ajv.compile(json)];
  }),
) as unknown as Record<EventType, (v: unknown) => boolean>;
