import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import type { Reply } from './helpers.ts';

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }
    >
  >;
};

/** Validates real replies against the service's own OpenAPI 3.1 document (ajv, draft 2020-12). */
export class OpenApiValidator {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();
  checked = 0;

  constructor(private readonly doc: Doc) {
    this.ajv = new Ajv2020({
      strict: false,
      validateSchema: false,
      allErrors: true,
      validateFormats: false,
    });
    this.ajv.addSchema(doc, 'openapi.json');
  }

  /** The request body schema's errors for `body` (empty: valid). `path` is the OpenAPI template. */
  requestErrors(method: string, path: string, body: unknown): string[] {
    const op = this.doc.paths[path]?.[method.toLowerCase()] as
      { requestBody?: { content?: Record<string, { schema?: unknown }> } } | undefined;
    if (op === undefined) return [`${method} ${path} is not documented`];
    if (op.requestBody?.content?.['application/json']?.schema === undefined)
      return body === undefined ? [] : [`${method} ${path} documents no JSON body`];
    const pointer = `openapi.json#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/requestBody/content/application~1json/schema`;
    let validate = this.cache.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: pointer });
      this.cache.set(pointer, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
  }

  /** `path` is the OpenAPI template (`/v1/events/{eventId}`). */
  expectValid(method: string, path: string, reply: Reply): void {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    const response = op?.responses[String(reply.status)];
    expect(
      response,
      `${method} ${path} documents status ${reply.status}: ${JSON.stringify(reply.body)}`,
    ).toBeDefined();
    const content = response?.content?.['application/json'];
    if (content?.schema === undefined) return;
    const pointer = `openapi.json#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${reply.status}/content/application~1json/schema`;
    let validate = this.cache.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: pointer });
      this.cache.set(pointer, validate);
    }
    const ok = validate(reply.body);
    expect(
      ok,
      `${method} ${path} ${reply.status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(reply.body).slice(0, 500)}`,
    ).toBe(true);
    this.checked += 1;
  }
}
