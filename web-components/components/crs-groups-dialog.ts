import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import {
  GROUP_MEMBER_KINDS,
  GROUP_PLATFORMS,
  type GroupPlatform,
  platformLabel,
} from '../lib/key-binding.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'

/**
 * @summary Account groups of every platform (Claude, OpenAI, Gemini, Droid): list, create, rename,
 * delete and choose members among the accounts of the group's platform (the dialog lists them
 * itself, since no page holds every kind). Server errors appear in the dialog.
 * @event crs-saved - After a change.
 * @event crs-close - The dialog was closed.
 */
export class CrsGroupsDialog extends CrsElement {
  static override properties = {
    groups: { attribute: false },
    accounts: { state: true },
    name: { state: true },
    platform: { state: true },
    error: { state: true },
    members: { state: true },
    renaming: { state: true },
    renameError: { state: true },
    serverError: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      form.rename {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-start;
        gap: 6px;
      }
      form.rename input {
        min-width: 140px;
      }
    `,
  ]
  declare groups: AccountGroup[]
  declare accounts: Account[]
  declare name: string
  declare platform: GroupPlatform
  declare error: string
  declare members: AccountGroup | null
  /** The group being renamed and the name typed so far. */
  declare renaming: { id: string; name: string } | null
  declare renameError: string
  declare serverError: string

  constructor() {
    super()
    this.groups = []
    this.accounts = []
    this.name = ''
    this.platform = 'claude'
    this.error = ''
    this.members = null
    this.renaming = null
    this.renameError = ''
    this.serverError = ''
  }

  private async rename(e: Event) {
    e.preventDefault()
    const r = this.renaming
    if (!r) return
    if (!r.name.trim()) {
      this.renameError = t('common.required')
      return
    }
    try {
      await api.updateGroup(r.id, { name: r.name.trim() })
      this.renaming = null
      this.renameError = ''
      toast(t('groups.renamed'), 'success')
      await this.refresh()
    } catch (err) {
      this.renameError = errorText(err)
    }
  }

  private nameCell(g: AccountGroup) {
    const r = this.renaming
    if (r?.id !== g.id) return g.name
    return html`<form class="rename" novalidate @submit=${(e: Event) => this.rename(e)} @keydown=${(
      e: KeyboardEvent,
    ) => {
      if (e.key === 'Escape') {
        // Leaves the rename only, not the whole dialog.
        e.preventDefault()
        e.stopPropagation()
        this.renaming = null
      }
    }}>
      <label class="field"
        ><span class="sr-only">${t('groups.newName', { name: g.name })}</span
        ><input name="rename" autofocus .value=${r.name} aria-invalid=${this.renameError ? 'true' : 'false'}
          @input=${(e: Event) => {
            this.renaming = { id: g.id, name: (e.target as HTMLInputElement).value }
          }} />${this.renameError ? html`<span class="field-error">${this.renameError}</span>` : ''}</label
      >
      <button class="btn small primary" type="submit">${t('common.save')}</button>
      <button class="btn small" type="button" @click=${() => {
        this.renaming = null
      }}>${t('common.cancel')}</button>
    </form>`
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.loadAccounts()
  }

  /** Every account a group can hold, of every group platform. */
  private async loadAccounts() {
    try {
      const kinds = GROUP_PLATFORMS.flatMap((p) => GROUP_MEMBER_KINDS[p])
      this.accounts = (await Promise.all(kinds.map((k) => api.accounts(k)))).flat()
    } catch (err) {
      this.serverError = errorText(err)
    }
  }

  private async refresh() {
    this.groups = await api.groups()
    this.emit('crs-saved')
  }

  private async add(e: Event) {
    e.preventDefault()
    if (!this.name.trim()) {
      this.error = t('common.required')
      return
    }
    this.error = ''
    try {
      await api.createGroup({ name: this.name.trim(), platform: this.platform })
      this.name = ''
      await this.refresh()
    } catch (err) {
      this.error = errorText(err)
    }
  }

  private async removeItem(g: AccountGroup) {
    if (
      !(await confirmAction({
        message: t('groups.deleteConfirm', { name: g.name }),
        danger: true,
        confirmLabel: t('common.delete'),
      }))
    )
      return
    try {
      this.serverError = ''
      await api.deleteGroup(g.id)
      await this.refresh()
    } catch (err) {
      this.serverError = errorText(err)
    }
  }

  private async toggleMember(g: AccountGroup, id: string, on: boolean) {
    const current = this.accounts.filter((a) => a.groupIds.includes(g.id)).map((a) => a.id)
    const next = on ? [...new Set([...current, id])] : current.filter((x) => x !== id)
    try {
      await api.setGroupMembers(g.id, next)
      this.accounts = this.accounts.map((a) =>
        a.id === id
          ? { ...a, groupIds: on ? [...a.groupIds, g.id] : a.groupIds.filter((x) => x !== g.id) }
          : a,
      )
      await this.refresh()
    } catch (err) {
      this.serverError = errorText(err)
    }
  }

  /** Checkboxes of the accounts of the group's platform, or a hint when there are none. */
  private memberChoices(g: AccountGroup) {
    const kinds: readonly string[] = GROUP_MEMBER_KINDS[g.platform as GroupPlatform] ?? []
    const candidates = this.accounts.filter((a) => kinds.includes(a.platform))
    if (candidates.length === 0)
      return html`<p class="hint">${t('groups.noCandidates', {
        platform: t(`groups.platform.${g.platform}` as MessageKey),
      })}</p>`
    return candidates.map(
      (a) => html`<label class="check"
        ><input type="checkbox" .checked=${a.groupIds.includes(g.id)} @change=${(e: Event) => this.toggleMember(g, a.id, (e.target as HTMLInputElement).checked)} />${a.name}
        <span class="badge">${platformLabel(a.platform)}</span></label
      >`,
    )
  }

  override render() {
    const cols: Column<AccountGroup>[] = [
      { key: 'name', label: t('common.name'), render: (g) => this.nameCell(g) },
      {
        key: 'platform',
        label: t('groups.platform'),
        render: (g) =>
          html`<span class="badge">${t(`groups.platform.${g.platform}` as MessageKey)}</span>`,
      },
      {
        key: 'members',
        label: t('groups.members'),
        num: true,
        wide: true,
        render: (g) => String(g.memberCount),
      },
      {
        key: 'bound',
        label: t('groups.bound'),
        num: true,
        wide: true,
        render: (g) => String(g.boundKeys),
      },
      {
        key: 'actions',
        label: t('common.actions'),
        render: (g) => html`<div class="row">
          <button class="btn small" aria-label="${t('groups.rename')} ${g.name}" @click=${() => {
            this.renaming = { id: g.id, name: g.name }
            this.renameError = ''
            void this.updateComplete.then(() =>
              this.renderRoot.querySelector<HTMLInputElement>('input[name="rename"]')?.focus(),
            )
          }}>${icon('edit')}${t('groups.rename')}</button>
          <button class="btn small" @click=${() => {
            this.members = g
          }}>${t('groups.members')}</button>
          <button class="btn small danger" @click=${() => this.removeItem(g)} aria-label="${t('common.delete')} ${g.name}">${icon('trash')}</button>
        </div>`,
      },
    ]
    const g = this.members
    return html`<crs-dialog open wide .heading=${t('groups.title')} .error=${this.serverError} .dirty=${!!this.name.trim() || !!this.renaming} @crs-close=${() => this.emit('crs-close')}>
      <div class="stack">
        <form class="row" novalidate @submit=${this.add}>
          <label class="field grow"
            ><span>${t('groups.new')}</span
            ><input name="group-name" .value=${this.name} aria-invalid=${this.error ? 'true' : 'false'} @input=${(
              e: Event,
            ) => {
              this.name = (e.target as HTMLInputElement).value
            }}
            />${this.error ? html`<span class="field-error">${this.error}</span>` : ''}</label
          >
          <label class="field"
            ><span>${t('groups.platform')}</span
            ><select name="group-platform" @change=${(e: Event) => {
              this.platform = (e.target as HTMLSelectElement).value as GroupPlatform
            }}>
              ${GROUP_PLATFORMS.map(
                (p) =>
                  html`<option value=${p} ?selected=${this.platform === p}>${t(`groups.platform.${p}`)}</option>`,
              )}
            </select></label
          >
          <button class="btn primary" type="submit" style="align-self:flex-end">${icon('plus')}${t('groups.add')}</button>
        </form>
        <crs-data-table .columns=${cols} .rows=${this.groups} .emptyText=${t('groups.none')}></crs-data-table>
        ${
          g
            ? html`<fieldset>
                <legend>${t('groups.editMembers', { name: g.name })}</legend>
                <div class="stack">${this.memberChoices(g)}</div>
              </fieldset>`
            : ''
        }
      </div>
      <button slot="footer" class="btn" data-close>${t('common.close')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-groups-dialog', CrsGroupsDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-groups-dialog': CrsGroupsDialog
  }
}
