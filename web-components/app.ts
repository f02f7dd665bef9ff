/**
 * Entry of the admin web UI: theme and language first, then the shell.
 */

import { initTheme } from './lib/theme.ts'
import { rootStyles } from './styles/shared-styles.ts'
import './i18n/i18n.ts'
import './components/crs-app.ts'

const sheet = rootStyles.styleSheet
if (sheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
initTheme()
