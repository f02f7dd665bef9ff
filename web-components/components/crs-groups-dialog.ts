import { html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import { toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'

/**
 * @summary Account groups: list, create, delete and choose members.
 * @event crs-saved - After a change.
 * @event crs-close - The dialog was closed.
 */
export class CrsGroupsDialog extends CrsElement {
  static override properties = {
    groups: { attribute: false },
    accounts: { attribute: false },
    name: { state: true },
    error: { state: true },
    members: { state: true },
  }
  static override styles = [sharedStyles]
  declare groups: AccountGroup[]
  declare accounts: Account[]
  declare name: string
  declare error: string
  declare members: AccountGroup | null

  constructor() {
    super()
    this.groups = []
    this.accounts = []
    this.name = ''
    this.error = ''
    this.members = null
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
      await api.createGroup({ name: this.name.trim(), platform: 'claude' })
      this.name = ''
      await this.refresh()
    } catch (err) {
      toastError(err)
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
      await api.deleteGroup(g.id)
      await this.refresh()
    } catch (err) {
      toastError(err)
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
      toastError(err)
    }
  }

  override render() {
    const cols: Column<AccountGroup>[] = [
      { key: 'name', label: t('common.name'), render: (g) => g.name },
      {
        key: 'members',
        label: t('groups.members'),
        num: true,
        render: (g) => String(g.memberCount),
      },
      { key: 'bound', label: t('groups.bound'), num: true, render: (g) => String(g.boundKeys) },
      {
        key: 'actions',
        label: t('common.actions'),
        render: (g) => html`<div class="row">
          <button class="btn small" @click=${() => {
            this.members = g
          }}>${t('groups.members')}</button>
          <button class="btn small danger" @click=${() => this.removeItem(g)} aria-label="${t('common.delete')} ${g.name}">${icon('trash')}</button>
        </div>`,
      },
    ]
    const g = this.members
    return html`<crs-dialog open wide .heading=${t('groups.title')} @crs-close=${() => this.emit('crs-close')}>
      <div class="stack">
        <form class="row" novalidate @submit=${this.add}>
          <label class="field grow"
            ><span>${t('groups.new')}</span
            ><input .value=${this.name} aria-invalid=${this.error ? 'true' : 'false'} @input=${(
              e: Event,
            ) => {
              this.name = (e.target as HTMLInputElement).value
            }}
            />${this.error ? html`<span class="field-error">${this.error}</span>` : ''}</label
          >
          <button class="btn primary" type="submit" style="align-self:flex-end">${icon('plus')}${t('groups.add')}</button>
        </form>
        <crs-data-table .columns=${cols} .rows=${this.groups} .emptyText=${t('groups.none')}></crs-data-table>
        ${
          g
            ? html`<fieldset>
                <legend>${t('groups.editMembers', { name: g.name })}</legend>
                <div class="stack">
                  ${this.accounts.map(
                    (a) => html`<label class="check"
                      ><input type="checkbox" .checked=${a.groupIds.includes(g.id)} @change=${(e: Event) => this.toggleMember(g, a.id, (e.target as HTMLInputElement).checked)} />${a.name}
                      <span class="badge">${t(a.platform === 'claude-oauth' ? 'acc.platform.claude-oauth' : 'acc.platform.claude-console')}</span></label
                    >`,
                  )}
                </div>
              </fieldset>`
            : ''
        }
      </div>
      <button slot="footer" class="btn" @click=${() => this.emit('crs-close')}>${t('common.close')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-groups-dialog', CrsGroupsDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-groups-dialog': CrsGroupsDialog
  }
}
