/* exit_cost.c: experiment: cost of a bare OUT exit from CPL3 under vCPU options
 * (bit 0 CPUID, 1 sync regs, 2 signal mask, 3 OSFXSR, 4 NXE). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#define MEM (8<<20)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define PT0 0x13000
#define GDT 0x20000
#define TSS 0x21000
#define CODE 0x30000
static void setup_seg(struct kvm_segment *s,uint16_t sel,int code,int dpl){memset(s,0,sizeof*s);s->selector=sel|dpl;s->limit=0xffffffff;s->g=1;s->present=1;s->s=1;s->dpl=dpl;s->type=code?11:3;s->l=code;s->db=code?0:1;}
int main(int argc,char**argv){
 int opt=argc>1?atoi(argv[1]):0;
 int kvm=open("/dev/kvm",O_RDWR); int vm=ioctl(kvm,KVM_CREATE_VM,0);
 uint8_t *m=mmap(0,MEM,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
 struct kvm_userspace_memory_region r={.slot=0,.guest_phys_addr=0,.memory_size=MEM,.userspace_addr=(uint64_t)m};
 ioctl(vm,KVM_SET_USER_MEMORY_REGION,&r);
 int vcpu=ioctl(vm,KVM_CREATE_VCPU,0);
 int sz=ioctl(kvm,KVM_GET_VCPU_MMAP_SIZE,0); struct kvm_run *run=mmap(0,sz,PROT_READ|PROT_WRITE,MAP_SHARED,vcpu,0);
 if(opt&1){ struct kvm_cpuid2 *c=calloc(1,sizeof(*c)+256*sizeof(struct kvm_cpuid_entry2)); c->nent=256; ioctl(kvm,KVM_GET_SUPPORTED_CPUID,c); if(ioctl(vcpu,KVM_SET_CPUID2,c))perror("cpuid"); }
 if(opt&2) run->kvm_valid_regs=KVM_SYNC_X86_REGS;
 if(opt&4){ sigset_t s; sigemptyset(&s); struct {struct kvm_signal_mask h; uint8_t b[8];} km; km.h.len=8; memcpy(km.b,&s,8); ioctl(vcpu,KVM_SET_SIGNAL_MASK,&km);}
 *(uint64_t*)(m+PML4)=PDPT|7; *(uint64_t*)(m+PDPT)=PD|7;
 for(int i=0;i<4;i++)*(uint64_t*)(m+PD+i*8)=(PT0+i*0x1000)|7;
 for(uint64_t a=0;a<MEM;a+=4096)*(uint64_t*)(m+PT0+(a>>12)*8)=a|7;
 uint64_t *g=(uint64_t*)(m+GDT);
 g[1]=0x00209a0000000000ull; g[2]=0x0000920000000000ull; g[3]=0x0000f20000000000ull; g[4]=0x0020fa0000000000ull;
 uint64_t tb=TSS, tl=0x68+8192;
 g[5]=(tl&0xffff)|((tb&0xffffff)<<16)|(0x89ull<<40)|(((tl>>16)&0xf)<<48)|(((tb>>24)&0xff)<<56); g[6]=tb>>32;
 memset(m+TSS,0,0x68+8193); *(uint16_t*)(m+TSS+0x66)=0x68; memset(m+TSS+0x68,0xff,8193);
 m[TSS+0x68+(0xE0/8)] &= ~0x3f;
 uint8_t code[]={0xe6,0xe5, 0xeb,0xfc};  /* loop: out %al,$0xe5; jmp loop */
 memcpy(m+CODE,code,sizeof code);
 struct kvm_sregs s; ioctl(vcpu,KVM_GET_SREGS,&s);
 s.cr0=0x80050033; s.cr4=(opt&8)?0x620:0x20; s.efer=(opt&16)?0xd00:0x500; s.cr3=PML4;
 s.gdt.base=GDT; s.gdt.limit=7*8-1; s.idt.base=0; s.idt.limit=0;
 setup_seg(&s.cs,32,1,3); setup_seg(&s.ds,24,0,3); s.es=s.fs=s.gs=s.ss=s.ds;
 memset(&s.tr,0,sizeof s.tr); s.tr.base=TSS; s.tr.limit=tl; s.tr.selector=40; s.tr.type=11; s.tr.present=1;
 if(ioctl(vcpu,KVM_SET_SREGS,&s))perror("sregs");
 struct kvm_regs rg={0}; rg.rip=CODE; rg.rflags=2; rg.rsp=0x80000; ioctl(vcpu,KVM_SET_REGS,&rg);
 for(int i=0;i<100;i++) ioctl(vcpu,KVM_RUN,0);
 double t0=now(); int n=2000;
 for(int i=0;i<n;i++){ if(ioctl(vcpu,KVM_RUN,0)||run->exit_reason!=KVM_EXIT_IO){printf("bad exit %d\n",run->exit_reason);return 1;} }
 printf("opt %2d: %.2f us/exit\n",opt,(now()-t0)/n);
}
