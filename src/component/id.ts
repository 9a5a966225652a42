/** A component id: `type[/name]`. */
export interface ComponentId {
  readonly type: string;
  readonly name: string;
}

export const TYPE_PATTERN = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;

/** Parse `type[/name]`; returns an error message for a malformed id. */
export function parseComponentId(text: string): ComponentId | string {
  const slash = text.indexOf('/');
  const type = slash < 0 ? text : text.slice(0, slash);
  const name = slash < 0 ? '' : text.slice(slash + 1);
  if (!TYPE_PATTERN.test(type)) {
    return `invalid component id "${text}": the type must match ${TYPE_PATTERN.source}`;
  }
  if (slash >= 0 && (name === '' || /[\s/]/.test(name))) {
    return `invalid component id "${text}": the name after "/" must be non-empty, without spaces or "/"`;
  }
  return { type, name };
}

export function formatComponentId(id: ComponentId): string {
  return id.name === '' ? id.type : `${id.type}/${id.name}`;
}
