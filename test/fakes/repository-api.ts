/**
 * The public surface of a repository class: what a fake `implements`. A class with private members is
 * nominal in TypeScript (no other class can `implements` it), but `keyof` sees only its public members,
 * so a fake declared `implements RepositoryApi<DockerRepository>` must have every public member with
 * the repository's signature, and a changed signature breaks the fake at type-check.
 */
export type RepositoryApi<T> = { [K in keyof T]: T[K] };
