/** The little of an OpenAPI 3 document the chaos suites read: operations, their parameters and body schemas. */
export interface SchemaObject {
  $ref?: string;
  type?: string;
  enum?: Array<string | number>;
  nullable?: boolean;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  allOf?: SchemaObject[];
  required?: string[];
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

export interface Operation {
  method: string;
  /** The path template, e.g. `/api/tracks/{id}`. */
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: SchemaObject }>;
  /** The JSON body's properties (refs resolved), when the operation takes a JSON body. */
  jsonBody?: Record<string, SchemaObject>;
  multipart: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of `doc`, upper-case methods, in the document's order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const resolve = (schema: SchemaObject | undefined): SchemaObject | undefined => {
    if (!schema?.$ref) return schema;
    return resolve(doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')]);
  };
  const propertiesOf = (schema: SchemaObject | undefined): Record<string, SchemaObject> => {
    const resolved = resolve(schema);
    if (!resolved) return {};
    const own = Object.fromEntries(Object.entries(resolved.properties ?? {}).map(([name, s]) => [name, resolve(s) ?? {}]));
    return Object.assign({}, ...(resolved.allOf ?? []).map(propertiesOf), own);
  };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const content = operation.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema) ?? {} })),
        jsonBody: content['application/json'] ? propertiesOf(content['application/json'].schema) : undefined,
        multipart: 'multipart/form-data' in content,
      });
    }
  }
  return out;
}
