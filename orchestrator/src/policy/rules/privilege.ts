/** Privilege escalation and host administration: never, including setuid bits and chown to root. */
import { wordSet } from '../command-sets';
import { valuesOf } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, type Judgment } from '../verdicts';
import { knownOptions, specOf } from './readers';
import type { Arg } from '../words';

const PRIVILEGED = wordSet(`
  sudo su doas pkexec runuser chroot nsenter unshare mount umount setcap capsh insmod rmmod modprobe
  iptables ip6tables nft sysctl systemctl service crontab at batch passwd useradd userdel usermod groupadd groupdel
  chpasswd visudo docker podman nerdctl ctr crictl mkfs fdisk sfdisk parted losetup shutdown reboot halt poweroff
  init telinit swapon swapoff chattr setfacl newgrp sg
`);

export const isPrivileged = (name: string): boolean => PRIVILEGED.has(name) || /^mkfs(\.|$)/.test(name);

/** A chmod-style mode (octal or symbolic) that sets setuid/setgid bits: deny. Unknown modes ask. */
export function modeRisk(name: string, mode: Arg): Judgment | undefined {
  if (!mode.static) return ask(`${name} mode ${mode.raw} is not statically known (it may set setuid/setgid bits)`);
  if (/^[0-7]+$/.test(mode.text)) return parseInt(mode.text, 8) & 0o6000 ? deny(`${name} ${mode.text} sets setuid/setgid bits`) : undefined;
  if (!SYMBOLIC_MODE.test(mode.text)) return ask(`${name} mode ${mode.raw} is not understood`);
  return mode.text.split(',').some((clause) => /[+=][rwxXtugo]*s/.test(clause)) ? deny(`${name} ${mode.text} sets setuid/setgid bits`) : undefined;
}
const SYMBOLIC_MODE = /^[ugoa]*([-+=]([rwxXst]*|[ugo]))+(,[ugoa]*([-+=]([rwxXst]*|[ugo]))+)*$/;

/** chmod [options] MODE FILE…: the mode may look like an option (`chmod -w f`). */
function chmod(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const spec = specOf('chmod');
  let mode: Arg | undefined;
  const files: Arg[] = [];
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  let endOfOptions = false;
  for (const a of args) {
    if (!endOfOptions && a.static && a.text === '--') endOfOptions = true;
    else if (!endOfOptions && a.static && a.text.startsWith('--reference')) return ask(`${name} --reference copies another file's mode, setuid/setgid bits included`);
    else if (!mode && !(a.static && /^-[Rcfv]+$/.test(a.text)) && (!a.static || /^[0-7]+$/.test(a.text) || SYMBOLIC_MODE.test(a.text))) mode = a;
    else if (!endOfOptions && a.static && a.text.startsWith('-') && a.text !== '-') {
      const problem = knownOptions(name, [a], spec).problem;
      if (problem) j = worse(j, problem);
    } else files.push(a);
  }
  if (!mode) return ask(`${name} without a mode`);
  j = worse(j, modeRisk(name, mode));
  for (const f of files) j = worse(j, ctx.paths.writeTarget(f, `${name} ${f.raw}`));
  return j;
}

function chown(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const { scan, problem } = knownOptions(name, args, specOf(name));
  const ops = scan.operands;
  if (valuesOf(scan, '--reference').length) return ask(`${name} --reference copies another file's owner`);
  const owner = ops[0];
  if (owner && (!owner.static || (/^(root|0)?([:.](root|0)?)?$/.test(owner.text) && /(root|0)/.test(owner.text)))) return owner.static ? deny(`${name} to root`) : ask(`${name} ${owner.raw}: owner not statically known`);
  let j: Judgment = problem ?? allow(`${name} inside the workspace`, 'medium');
  for (const op of ops.slice(1)) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  return j;
}

export const PRIVILEGE_RULES: Record<string, Rule> = { chmod, ...sameRule(['chown', 'chgrp'], chown) };
