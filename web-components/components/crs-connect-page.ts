import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { href } from '../lib/route.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-code-block.ts'

/**
 * @summary How to point Claude Code and the Anthropic SDKs at this relay (copyable settings with
 * this server's address).
 */
export class CrsConnectPage extends CrsElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        max-width: 960px;
        margin: 0 auto;
      }
      section {
        margin-top: 16px;
      }
      p {
        margin: 0 0 10px;
      }
    `,
  ]

  override render() {
    const base = `${location.origin}/api`
    const key = 'cr_…'
    const shell = `export ANTHROPIC_BASE_URL=${base}\nexport ANTHROPIC_API_KEY=${key}\nclaude`
    const ps = `$env:ANTHROPIC_BASE_URL = "${base}"\n$env:ANTHROPIC_API_KEY = "${key}"\nclaude`
    const settings = JSON.stringify(
      { env: { ANTHROPIC_BASE_URL: base, ANTHROPIC_API_KEY: key } },
      null,
      2,
    )
    const ts = `import Anthropic from '@anthropic-ai/sdk'\n\nconst client = new Anthropic({\n  baseURL: '${base}',\n  apiKey: process.env.ANTHROPIC_API_KEY, // cr_…\n})\nconst msg = await client.messages.create({\n  model: 'claude-sonnet-4-5',\n  max_tokens: 1024,\n  messages: [{ role: 'user', content: 'Hello' }],\n})`
    const py = `import anthropic\n\nclient = anthropic.Anthropic(\n    base_url="${base}",\n    api_key="${key}",\n)\nmsg = client.messages.create(\n    model="claude-sonnet-4-5",\n    max_tokens=1024,\n    messages=[{"role": "user", "content": "Hello"}],\n)`
    const curl = `curl ${base}/v1/messages \\\n  -H "x-api-key: ${key}" \\\n  -H "anthropic-version: 2023-06-01" \\\n  -H "content-type: application/json" \\\n  -d '{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}'`
    const gemini = `${location.origin}/gemini`
    const geminiCli = `export GEMINI_API_KEY=${key}\nexport GOOGLE_GEMINI_BASE_URL=${gemini}\n# ~/.gemini/settings.json: {"security": {"auth": {"selectedType": "gemini-api-key"}}}\ngemini`
    const geminiGca = `export CODE_ASSIST_ENDPOINT=${gemini}\nexport GOOGLE_GENAI_USE_GCA=true\nexport GOOGLE_CLOUD_ACCESS_TOKEN=${key}\ngemini`
    return html`<div class="page-head"><h1>${t('connect.title')}</h1></div>
      <p>${t('connect.intro')}</p>
      <section class="card">
        <h2>${t('connect.claudeCode')}</h2>
        <p class="muted">${t('connect.claudeCodeHint')}</p>
        <crs-code-block data-testid="connect-shell" label="bash / zsh" .code=${shell}></crs-code-block>
        <div style="height:12px"></div>
        <crs-code-block .label=${t('connect.windows')} .code=${ps}></crs-code-block>
        <div style="height:12px"></div>
        <crs-code-block .label=${t('connect.settingsJson')} .code=${settings}></crs-code-block>
      </section>
      <section class="card"><h2>${t('connect.sdkTs')}</h2><crs-code-block label="TypeScript" .code=${ts}></crs-code-block></section>
      <section class="card"><h2>${t('connect.sdkPy')}</h2><crs-code-block label="Python" .code=${py}></crs-code-block></section>
      <section class="card"><h2>${t('connect.curl')}</h2><crs-code-block label="shell" .code=${curl}></crs-code-block></section>
      <section class="card" data-testid="connect-gemini">
        <h2>${t('connect.geminiCli')}</h2>
        <crs-code-block .label=${t('connect.geminiApiKey')} .code=${geminiCli}></crs-code-block>
        <crs-code-block .label=${t('connect.geminiGoogle')} .code=${geminiGca}></crs-code-block>
      </section>
      <p style="margin-top:16px"><a href=${href('stats')}>${t('connect.check')}</a></p>`
  }
}

customElements.define('crs-connect-page', CrsConnectPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-connect-page': CrsConnectPage
  }
}
