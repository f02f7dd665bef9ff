/**
 * Entry of the admin web UI: theme and language first (only the active language is fetched),
 * then the shell. Pages, charts and the other language load when first needed.
 */

import './components/crs-app.ts'
import { loadLocale } from './i18n/i18n.ts'
import { initTheme } from './lib/theme.ts'
import { rootStyles } from './styles/shared-styles.ts'

const sheet = rootStyles.styleSheet
if (sheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
initTheme()
await loadLocale()
// The shell is added only now, so its first render already has the texts.
document.body.prepend(document.createElement('crs-app'))
