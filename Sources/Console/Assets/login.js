// Logging in (password, then a TOTP code once enrolled), the first administrator's setup, and
// enrolment of an authenticator app with a QR code.
import { api, APIError, rememberSession, forgetSession } from "./api.js";
import { h, fill, submitting } from "./dom.js";

export function showLogin(main, message, done) {
  document.title = "TwinGuard · Log in";
  const error = h("p", { class: "error", role: "alert" });
  const name = h("input", { id: "login-name", name: "username", autocomplete: "username", required: true });
  const code = h("input", { id: "login-code", name: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: 6 });
  const form = h("form", { class: "stack", id: "login-form" },
    h("label", {}, "User name", name),
    h("label", {}, "Password", h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("label", {}, "One-time code (once you have enrolled an authenticator)", code),
    h("button", { type: "submit" }, "Log in"), error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, error, async () => {
      const body = { name: name.value.trim(), password: form.password.value };
      if (code.value.trim()) body.totp = code.value.trim();
      try {
        const session = await api("POST", "/login", body, { quiet401: true });
        rememberSession(session.csrf);
      } catch (failure) {
        if (failure instanceof APIError && /one-time code/.test(failure.message)) code.focus();
        throw failure;
      }
      await done();
    });
  });
  fill(main, h("section", { class: "panel login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Log in to TwinGuard"),
    message ? h("p", { class: "muted", id: "login-message" }, message) : null, form));
  name.focus();
}

export function showSetup(main, token, done) {
  document.title = "TwinGuard · First administrator";
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", id: "setup-form" },
    h("label", {}, "Setup token (printed by the server)", h("input", { name: "token", value: token, required: true })),
    h("label", {}, "Administrator name", h("input", { name: "username", autocomplete: "username", required: true })),
    h("label", {}, "Password (12 characters or more)", h("input", { name: "password", type: "password", autocomplete: "new-password", minlength: 12, required: true })),
    h("button", { type: "submit" }, "Create administrator"), error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, error, async () => {
      await api("POST", "/setup", { token: form.token.value.trim(), name: form.username.value.trim(), password: form.password.value }, { quiet401: true });
      done();
    });
  });
  fill(main, h("section", { class: "panel login" }, h("h1", {}, "Create the first administrator"),
    h("p", { class: "muted" }, "The token works once, within 24 hours of the server's first start."), form));
}

/** The one-time recovery codes, shown once after enrolment: each logs in once in place of a code. */
function showRecoveryCodes(main, codes, done) {
  const proceed = h("button", { type: "button", id: "recovery-continue" }, "I have saved them — log in");
  proceed.addEventListener("click", () => done());
  fill(main, h("section", { class: "panel login", "aria-labelledby": "recovery-title" },
    h("h1", { id: "recovery-title" }, "Save your recovery codes"),
    h("p", {}, "If you lose the authenticator, each of these codes logs you in once in place of a one-time code. Keep them somewhere safe; they are not shown again."),
    h("ol", { class: "codes", id: "recovery-codes" }, codes.map((code) => h("li", {}, h("code", {}, code)))),
    proceed));
  proceed.focus();
}

/** Second-factor enrolment: the secret as a QR code and as text, then a code to confirm it. */
export async function showEnrolment(main, user, done) {
  document.title = "TwinGuard · Enrol an authenticator";
  const { secret, otpauth_url: url } = await api("POST", "/me/totp");
  const qr = globalThis.qrcode(0, "M");
  qr.addData(url);
  qr.make();
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", id: "enrol-form" },
    h("label", {}, "Code shown by the app", h("input", { id: "enrol-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: 6, required: true })),
    h("button", { type: "submit" }, "Confirm"), error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, error, async () => {
      const { recovery_codes: codes } = await api("POST", "/me/totp/confirm", { code: form.code.value.trim() });
      await api("POST", "/logout");
      forgetSession();
      showRecoveryCodes(main, codes || [], done);
    });
  });
  fill(main, h("section", { class: "panel login", "aria-labelledby": "enrol-title" },
    h("h1", { id: "enrol-title" }, "Enrol an authenticator"),
    h("p", {}, `The ${user.role} role needs a second factor. Scan this code with an authenticator app (any TOTP app), or type the secret into it.`),
    h("div", { class: "qr" }, h("img", { src: qr.createDataURL(4, 2), alt: "QR code of the TOTP secret", id: "enrol-qr" })),
    h("p", {}, "Secret: ", h("code", { class: "secret", id: "enrol-secret" }, secret)),
    form));
  form.code.focus();
}
