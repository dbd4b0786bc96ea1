/** Privilege escalation and host administration: never, including setuid bits and chown to root. */
import { wordSet } from '../command-sets';
import { operands } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, deny, worse, type Judgment } from '../verdicts';
import type { Arg } from '../words';

const PRIVILEGED = wordSet(`
  sudo su doas pkexec runuser chroot nsenter unshare mount umount setcap capsh insmod rmmod modprobe
  iptables ip6tables nft sysctl systemctl service crontab at batch passwd useradd userdel usermod groupadd groupdel
  chpasswd visudo docker podman nerdctl ctr crictl mkfs fdisk sfdisk parted losetup shutdown reboot halt poweroff
  init telinit swapon swapoff chattr setfacl newgrp sg
`);

export const isPrivileged = (name: string): boolean => PRIVILEGED.has(name) || /^mkfs(\.|$)/.test(name);

function chmod(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  const ops = operands(args.filter((a) => !/^-[rwxXstugo]+$/.test(a.text) || /^-[R]/.test(a.text)), ['--reference']);
  const mode = args.find((a) => /^[-+=]?[ugoa]*[-+=][rwxXstugo]+/.test(a.text) || /^[0-7]{3,4}$/.test(a.text));
  if (mode && (/[-+=]?[ugoa]*[+=][rwxXtugo]*s/.test(mode.text) || /^[2-7][0-7]{3}$/.test(mode.text) && /^[2467]/.test(mode.text))) return deny(`chmod ${mode.text} sets setuid/setgid bits`);
  let j: Judgment = allow('chmod inside the workspace', 'medium');
  for (const op of ops) if (op !== mode) j = worse(j, ctx.paths.writeTarget(op, `chmod ${op.raw}`));
  return j;
}

function chown(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const ops = operands(args, ['--reference', '--from']);
  const owner = ops[0];
  if (owner && (/^(root|0)?(:(root|0)?)?$/.test(owner.text) && /(root|0)/.test(owner.text))) return deny(`${name} to root`);
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  for (const op of ops.slice(1)) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  return j;
}

export const PRIVILEGE_RULES: Record<string, Rule> = { chmod, ...sameRule(['chown', 'chgrp'], chown) };
