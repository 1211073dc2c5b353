/** Small builders of OpenAPI fragments, shared by the paths and the components. */
import { z } from 'zod';

export type Schema = Record<string, unknown>;

export function body(schema: z.ZodType): Schema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  delete json.$schema;
  return { required: true, content: { 'application/json': { schema: json } } };
}

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Schema, description = 'OK'): Schema => ({
  description,
  content: { 'application/json': { schema } },
});
export const err = (description: string): Schema => json(ref('Error'), description);
export const str = { type: 'string' };
export const time = { type: 'string', format: 'date-time' };
export const int = { type: 'integer' };
export const obj = (properties: Schema, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length === 0 ? {} : { required }),
});
