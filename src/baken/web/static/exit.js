// Quick exit for pages without a chat (error pages): the button, the skip link and Shift × 3.
import { installQuickExit } from "./common.js";

installQuickExit(document.body.dataset.exitPath || "");
