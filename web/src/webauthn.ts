// WebAuthn between ferryd's JSON (binary fields as base64url) and the browser's ArrayBuffers.

export function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const pad = s.length % 4 === 0 ? '' : '='.repeat(4 - (s.length % 4));
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + pad);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64url(buf: ArrayBuffer | ArrayBufferView | null | undefined): string | null {
  if (!buf) return null;
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type Json = Record<string, unknown>;

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((d: Json) => ({
    type: 'public-key' as const,
    id: b64urlToBytes(String(d['id'])),
    ...(Array.isArray(d['transports']) ? { transports: d['transports'] as AuthenticatorTransport[] } : {}),
  }));
}

/** Unwraps {"publicKey": {...}} if ferryd sends the CredentialCreationOptions shape. */
function inner(options: unknown): Json {
  const o = (options ?? {}) as Json;
  return (o['publicKey'] && typeof o['publicKey'] === 'object' ? o['publicKey'] : o) as Json;
}

export function creationOptions(options: unknown): PublicKeyCredentialCreationOptions {
  const o = inner(options);
  const user = o['user'] as Json;
  const result = {
    ...o,
    challenge: b64urlToBytes(String(o['challenge'])),
    user: { ...user, id: b64urlToBytes(String(user['id'])) },
  } as unknown as PublicKeyCredentialCreationOptions;
  const exclude = descriptors(o['excludeCredentials'] ?? o['exclude_credentials']);
  if (exclude) result.excludeCredentials = exclude;
  return result;
}

export function requestOptions(options: unknown): PublicKeyCredentialRequestOptions {
  const o = inner(options);
  const result = { ...o, challenge: b64urlToBytes(String(o['challenge'])) } as unknown as PublicKeyCredentialRequestOptions;
  const allow = descriptors(o['allowCredentials'] ?? o['allow_credentials']);
  if (allow) result.allowCredentials = allow;
  return result;
}

export function attestationJson(cred: PublicKeyCredential): Json {
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? null,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      attestationObject: bytesToB64url(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
}

export function assertionJson(cred: PublicKeyCredential): Json {
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? null,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      authenticatorData: bytesToB64url(r.authenticatorData),
      signature: bytesToB64url(r.signature),
      userHandle: bytesToB64url(r.userHandle),
    },
  };
}

export function webauthnAvailable(): boolean {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

/** Turns the browser's WebAuthn exceptions into a sentence for a person. */
export function describeWebauthnError(e: unknown): string {
  const err = e as DOMException;
  switch (err?.name) {
    case 'NotAllowedError': return 'The security key did not answer, or the request was cancelled or timed out. Try again and touch the key when it blinks.';
    case 'InvalidStateError': return 'This security key is already registered for your account.';
    case 'SecurityError': return 'The browser refused WebAuthn for this address (it needs HTTPS and a matching host name).';
    case 'NotSupportedError': return 'This browser or security key does not support the requested kind of key.';
    default: return err?.message ?? String(e);
  }
}
