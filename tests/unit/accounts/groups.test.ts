/** Group service: validation, membership through account groupIds, and both delete guards. */
import { beforeEach, describe, expect, test } from 'bun:test'
import { createGroupService, type KeyBinding } from '../../../src/accounts/groups.ts'
import { type AccountService, createAccountService } from '../../../src/accounts/service.ts'
import { createSecretBox } from '../../../src/core/crypto.ts'
import { createLogger } from '../../../src/core/log.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'

let accounts: AccountService
let keys: KeyBinding[]
let groups: ReturnType<typeof createGroupService>

beforeEach(() => {
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  const clock = { now: () => Date.now() }
  accounts = createAccountService({
    repo: stores.accounts,
    coord: stores.coord,
    box: createSecretBox('unit-test-encryption-key-0123456789'),
    clock,
    logger: createLogger({ level: 'error', sink: { write: () => {} } }),
  })
  keys = []
  groups = createGroupService({
    repo: stores.accounts,
    accounts,
    clock,
    keyBindings: async () => keys,
    unbindKey: async (id, field) => {
      const k = keys.find((x) => x.id === id)
      if (k) k[field] = ''
    },
  })
})

const console = (name: string, groupIds: string[] = []) =>
  accounts.create('claude-console', { name, apiUrl: 'http://x.test', apiKey: name, groupIds })

describe('groups', () => {
  test('create validates name and platform; update keeps the platform', async () => {
    await expect(groups.create({ name: '', platform: 'claude' })).rejects.toThrow(/name/)
    await expect(groups.create({ name: 'g', platform: 'azure' })).rejects.toThrow(/platform/)
    const g = await groups.create({ name: ' g ', platform: 'openai' })
    expect(g.name).toBe('g')
    expect((await groups.list('openai')).map((x) => x.id)).toEqual([g.id])
    expect(await groups.list('claude')).toEqual([])
    await expect(groups.update(g.id, { platform: 'claude' })).rejects.toThrow(/platform/)
    expect((await groups.update(g.id, { name: 'h' })).name).toBe('h')
    await expect(groups.get('nope')).rejects.toThrow(/Cannot find account group/)
  })

  test('setMembers adds and removes the group on accounts, leaving other groups alone', async () => {
    const g = await groups.create({ name: 'g', platform: 'claude' })
    const other = await groups.create({ name: 'o', platform: 'claude' })
    const a = await console('a', [other.id])
    const b = await console('b', [g.id])
    const c = await console('c')
    await groups.setMembers(g.id, [a.id, c.id])
    expect((await groups.members(g.id)).map((x) => x.name).sort()).toEqual(['a', 'c'])
    expect((await accounts.get(a.id))!.groupIds).toEqual([other.id, g.id])
    expect((await accounts.get(b.id))!.groupIds).toEqual([])
    await expect(groups.setMembers(g.id, ['missing'])).rejects.toThrow(/Cannot find account/)
    await expect(groups.assertExist([g.id, 'missing'])).rejects.toThrow(/no group "missing"/)
  })

  test('setMembers takes accounts of the group platform only (both Gemini kinds in a Gemini group)', async () => {
    const gem = await groups.create({ name: 'gem', platform: 'gemini' })
    const api = await accounts.create('gemini-api', { name: 'k', apiKey: 'AIza-k' })
    const login = await accounts.create('gemini-oauth', { name: 'l', accessToken: 'tok' })
    const claude = await console('c')
    expect((await groups.setMembers(gem.id, [api.id, login.id])).length).toBe(2)
    await expect(groups.setMembers(gem.id, [api.id, claude.id])).rejects.toThrow(
      'Cannot add account "c" (claude-console) to a gemini group',
    )
    expect((await groups.members(gem.id)).map((x) => x.name).sort()).toEqual(['k', 'l'])
  })

  test('delete is refused with members or live bound keys; deleted keys are unbound', async () => {
    const g = await groups.create({ name: 'g', platform: 'claude' })
    const a = await console('a', [g.id])
    await expect(groups.remove(g.id)).rejects.toMatchObject({ status: 409 })
    await accounts.update(a.id, { groupIds: [] })
    keys.push({ id: 'k1', claudeAccountId: `group:${g.id}`, claudeConsoleAccountId: '' })
    keys.push({
      id: 'k2',
      isDeleted: true,
      claudeAccountId: '',
      claudeConsoleAccountId: `group:${g.id}`,
    })
    await expect(groups.remove(g.id)).rejects.toMatchObject({ status: 409 })
    keys[0]!.claudeAccountId = ''
    await groups.remove(g.id)
    expect(keys[1]!.claudeConsoleAccountId).toBe('')
    expect(await groups.list()).toEqual([])
  })
})
