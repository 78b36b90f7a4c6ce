/* host_pte_flush.c: experiment behind docs/design.md section 3: is a page-table
 * entry written by the host visible to a CPL3 guest after each flush method?
 * Usage: host_pte_flush METHOD (0 none, 1 KVM_SET_SREGS, 2 CR3 switch, 3 memslot cycle). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#define MEM (16<<20)
static uint8_t *m; static int gvm; static struct kvm_userspace_memory_region gr1; static int vcpu; static struct kvm_run *run;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
#define PTS 0x800000
#define PML4 (PTS)
#define PDPT (PTS+0x1000)
#define PD (PTS+0x2000)
#define PT0 (PTS+0x3000)  /* 2 PTs cover 4MiB */
#define GDT 0x20000
#define TSS 0x21000
#define CODE 0x30000
#define X 0x200000
#define FA 0x300000
#define FB 0x301000
static uint64_t *pte(uint64_t va){return (uint64_t*)(m+PT0+ (va>>12)*8);}
static void setup_seg(struct kvm_segment *s,uint16_t sel,int code,int dpl){memset(s,0,sizeof*s);s->selector=sel|dpl;s->limit=0xffffffff;s->g=1;s->present=1;s->s=1;s->dpl=dpl;s->type=code?11:3;s->l=code;s->db=code?0:1;}
int main(int argc,char**argv){
 int kvm=open("/dev/kvm",O_RDWR); int vm=ioctl(kvm,KVM_CREATE_VM,0);
 m=mmap(0,MEM,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
 struct kvm_userspace_memory_region r={.slot=0,.guest_phys_addr=0,.memory_size=PTS,.userspace_addr=(uint64_t)m};
 if(ioctl(vm,KVM_SET_USER_MEMORY_REGION,&r))perror("mem");
 struct kvm_userspace_memory_region r1={.slot=1,.guest_phys_addr=PTS,.memory_size=MEM-PTS,.userspace_addr=(uint64_t)m+PTS};
 if(ioctl(vm,KVM_SET_USER_MEMORY_REGION,&r1))perror("mem1"); gvm=vm; gr1=r1;
 ioctl(vm,KVM_SET_TSS_ADDR,0xfffbd000);
 vcpu=ioctl(vm,KVM_CREATE_VCPU,0);
 int sz=ioctl(kvm,KVM_GET_VCPU_MMAP_SIZE,0); run=mmap(0,sz,PROT_READ|PROT_WRITE,MAP_SHARED,vcpu,0);
 /* page tables: identity 4MiB with 4K pages, user RW */
 *(uint64_t*)(m+PML4)=PDPT|7; *(uint64_t*)(m+PDPT)=PD|7;
 for(int i=0;i<2;i++)*(uint64_t*)(m+PD+i*8)=(PT0+i*0x1000)|7;
 for(uint64_t a=0x1000;a<(4<<20);a+=4096)*pte(a)=a|7;
 *pte(X)=FA|7; memset(m+FA,0xAA,4096); memset(m+FB,0xBB,4096);
 /* gdt: 0 null,8 kcode,16 kdata,24 udata, 32 ucode, 40 tss(16) */
 uint64_t *g=(uint64_t*)(m+GDT);
 g[1]=0x00209a0000000000ull; g[2]=0x0000920000000000ull; g[3]=0x0000f20000000000ull; g[4]=0x0020fa0000000000ull;
 uint64_t tb=TSS, tl=0x68+8192+1-1;
 g[5]=(tl&0xffff)|((tb&0xffffff)<<16)|(0x89ull<<40)|(((tl>>16)&0xf)<<48)|(((tb>>24)&0xff)<<56); g[6]=tb>>32;
 memset(m+TSS,0,0x68+8193); *(uint16_t*)(m+TSS+0x66)=0x68; memset(m+TSS+0x68,0xff,8192); m[TSS+0x68+8192]=0xff;
 m[TSS+0x68+(0xE0/8)] &= ~0xf;
 /* code: loop: mov X,%eax ; out %eax,$0xe0 ; jmp loop */
 uint8_t code[]={0x8b,0x04,0x25, X&0xff,(X>>8)&0xff,(X>>16)&0xff,0, 0xe7,0xe0, 0xeb,0xf5};
 memcpy(m+CODE,code,sizeof code);
 struct kvm_sregs s; ioctl(vcpu,KVM_GET_SREGS,&s);
 s.cr0=0x80050033; s.cr4=0x6a0; s.efer=0xd00; s.cr3=PML4;
 s.gdt.base=GDT; s.gdt.limit=7*8-1; s.idt.base=0; s.idt.limit=0;
 setup_seg(&s.cs,32,1,3); setup_seg(&s.ds,24,0,3); s.es=s.fs=s.gs=s.ss=s.ds;
 memset(&s.tr,0,sizeof s.tr); s.tr.base=TSS; s.tr.limit=tl; s.tr.selector=40; s.tr.type=11; s.tr.present=1;
 if(ioctl(vcpu,KVM_SET_SREGS,&s))perror("sregs");
 struct kvm_regs rg={0}; rg.rip=CODE; rg.rflags=2; rg.rsp=0x80000; ioctl(vcpu,KVM_SET_REGS,&rg);
 int method=argc>1?atoi(argv[1]):0;
 for(int it=0;it<6;it++){
  if(ioctl(vcpu,KVM_RUN,0)){perror("run");return 1;}
  if(run->exit_reason!=KVM_EXIT_IO){ioctl(vcpu,KVM_GET_REGS,&rg);ioctl(vcpu,KVM_GET_SREGS,&s);printf("rip %llx rsp %llx cs %x cpl? cr2 %llx\n",rg.rip,rg.rsp,s.cs.selector,s.cr2);printf("exit %d\n",run->exit_reason); if(run->exit_reason==KVM_EXIT_INTERNAL_ERROR)printf("sub %d\n",run->internal.suberror);return 1;}
  uint32_t v=*(uint32_t*)((uint8_t*)run+run->io.data_offset);
  printf("it %d read %08x\n",it,v);
  /* switch mapping */
  *pte(X)=((it&1)?FA:FB)|7;
  double t0=now();
  if(method==1){ioctl(vcpu,KVM_GET_SREGS,&s);ioctl(vcpu,KVM_SET_SREGS,&s);}
  if(method==2){ioctl(vcpu,KVM_GET_SREGS,&s);uint64_t c=s.cr3;s.cr3=PML4+0x100000;*(uint64_t*)(m+PML4+0x100000)=*(uint64_t*)(m+PML4);ioctl(vcpu,KVM_SET_SREGS,&s);s.cr3=c;ioctl(vcpu,KVM_SET_SREGS,&s);}
  if(method==3){struct kvm_userspace_memory_region d=gr1; d.memory_size=0; if(ioctl(gvm,KVM_SET_USER_MEMORY_REGION,&d))perror("del"); if(ioctl(gvm,KVM_SET_USER_MEMORY_REGION,&gr1))perror("add");}
  printf("  flush %.1f us\n",now()-t0);
 }
 return 0;}
