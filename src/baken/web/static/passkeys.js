// Passkeys for staff (issue 16): registering one (security page, or during sign-in when the
// organisation requires it) and signing in with one (the code page).
//
// The server hands out WebAuthn options as JSON with binary fields in base64url; this file turns
// them into the ArrayBuffers navigator.credentials wants, and the answer back into JSON. Every text
// comes from data-msg-* attributes that the server filled from its catalogues; texts are set with
// textContent only. The server checks everything (origin, RP ID, challenge, counter): this file
// only carries the ceremony.

const REDIRECT_PATH = /^\/[A-Za-z0-9/_?=&.-]*$/;

export function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes.buffer;
}

export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function withIds(descriptors) {
  return (descriptors || []).map((descriptor) => ({ ...descriptor, id: fromBase64url(descriptor.id) }));
}

function creationOptions(json) {
  const options = json.publicKey;
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  };
}

function requestOptions(json) {
  const options = json.publicKey;
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    allowCredentials: withIds(options.allowCredentials),
  };
}

function registrationJson(credential) {
  const response = credential.response;
  const transports = typeof response.getTransports === "function" ? response.getTransports() : [];
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: {},
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports,
    },
  };
}

function assertionJson(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: {},
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
    },
  };
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  return { ok: response.ok, status: response.status, data };
}

function go(next) {
  // Only a path on this site: the answer comes from our server, but a redirect is never taken
  // blindly.
  if (typeof next === "string" && REDIRECT_PATH.test(next) && !next.startsWith("//")) {
    window.location.assign(next);
  } else {
    window.location.assign("/staff/login");
  }
}

function say(box, key, isError) {
  const status = box.querySelector("[data-passkey-status]");
  if (!status) {
    return;
  }
  status.textContent = box.dataset[key] || "";
  status.classList.toggle("passkey-status--error", Boolean(isError));
}

function supported() {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

function cancelled(error) {
  return error && (error.name === "NotAllowedError" || error.name === "AbortError");
}

async function register(form) {
  const button = form.querySelector("button[type=submit]");
  const nameInput = form.querySelector("[name=name]");
  const name = nameInput.value.trim();
  if (!name) {
    nameInput.focus();
    return;
  }
  button.disabled = true;
  say(form, "msgWorking", false);
  try {
    const options = await postJson(form.dataset.optionsUrl, {});
    if (!options.ok) {
      if (options.status === 401) {
        go("/staff/login");
        return;
      }
      say(form, "msgRefused", true);
      return;
    }
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: creationOptions(options.data) });
    } catch (error) {
      say(form, cancelled(error) ? "msgCancelled" : "msgRefused", true);
      return;
    }
    const saved = await postJson(form.action, { name, credential: registrationJson(credential) });
    if (saved.ok) {
      go(saved.data.next);
      return;
    }
    say(form, "msgRefused", true);
  } catch {
    say(form, "msgRefused", true);
  } finally {
    button.disabled = false;
  }
}

async function signIn(box, button) {
  button.disabled = true;
  say(box, "msgWorking", false);
  try {
    const options = await postJson(box.dataset.optionsUrl, {});
    if (!options.ok) {
      if (options.status === 401) {
        go("/staff/login");
        return;
      }
      say(box, options.status === 429 ? "msgThrottled" : "msgRefused", true);
      return;
    }
    let credential;
    try {
      credential = await navigator.credentials.get({ publicKey: requestOptions(options.data) });
    } catch (error) {
      say(box, cancelled(error) ? "msgCancelled" : "msgRefused", true);
      return;
    }
    const checked = await postJson(box.dataset.url, { credential: assertionJson(credential) });
    if (checked.ok) {
      go(checked.data.next);
      return;
    }
    if (checked.data.restart) {
      go("/staff/login");
      return;
    }
    say(box, checked.status === 429 ? "msgThrottled" : "msgRefused", true);
  } catch {
    say(box, "msgRefused", true);
  } finally {
    button.disabled = false;
  }
}

function start() {
  for (const form of document.querySelectorAll("form[data-passkey-register]")) {
    if (!supported()) {
      say(form, "msgUnsupported", true);
      form.querySelector("button[type=submit]").disabled = true;
      continue;
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      register(form);
    });
  }
  for (const box of document.querySelectorAll("[data-passkey-signin]")) {
    const button = box.querySelector("[data-passkey-start]");
    if (!supported()) {
      say(box, "msgUnsupported", true);
      button.disabled = true;
      continue;
    }
    button.addEventListener("click", () => signIn(box, button));
  }
}

start();
