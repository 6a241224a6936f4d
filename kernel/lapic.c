/*
 * lapic.c - the local APIC's interrupt side and its timer (lapic.h).
 */
#include "lapic.h"
#include "console.h"
#include "cpu.h"
#include "klib.h"
#include "mmio.h"

#define MSR_X2APIC_BASE     0x800u      /* x2APIC: MSR 0x800 + offset / 16 */
#define SVR_ENABLE          (1u << 8)   /* APIC software enable */
#define LVT_MASKED          (1u << 16)
#define LVT_ONESHOT         (0u << 17)  /* timer mode bits 18:17 = 00 */
#define TIMER_DIV_16        0x3u        /* divide configuration: 0011 = by 16 */
#define TIMER_COUNT_START   0xffffffffu
#define US_PER_MS           1000u

/* The legacy 8259 pair (ports, ICWs: Intel 8259A datasheet). */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11         /* edge, cascade, ICW4 follows */
#define PIC_ICW3_MASTER    0x04         /* slave on IRQ 2 */
#define PIC_ICW3_SLAVE     0x02         /* its cascade identity */
#define PIC_ICW4_8086      0x01
#define PIC_MASK_ALL       0xff
#define PORT_DELAY         0x80         /* POST port: a write takes ~1 us */

static struct lapic_regs lapic;        /* the boot CPU's; mmio 0 and !x2apic: none */
static uint32_t ticks_per_ms;          /* 0: the timer is not usable */
static struct lapic_stats stats;
static void (*user_fn)(struct trap_frame *f);

uint32_t lapic_read(const struct lapic_regs *r, unsigned reg)
{
	if (r->x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16);
	return mmio_read32(r->mmio + reg);
}

void lapic_write(const struct lapic_regs *r, unsigned reg, uint32_t v)
{
	if (r->x2apic)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		mmio_write32(r->mmio + reg, v);
}

/* ---- the 8259s ------------------------------------------------------------ */

static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(PORT_DELAY, 0);
}

/* Move both 8259s to PIC_VECTOR_BASE.. and mask every line. */
static void pic_disable(void)
{
	pic_out(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	pic_out(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	pic_out(PIC1_DATA, PIC_VECTOR_BASE);
	pic_out(PIC2_DATA, PIC_VECTOR_BASE + 8);
	pic_out(PIC1_DATA, PIC_ICW3_MASTER);
	pic_out(PIC2_DATA, PIC_ICW3_SLAVE);
	pic_out(PIC1_DATA, PIC_ICW4_8086);
	pic_out(PIC2_DATA, PIC_ICW4_8086);
	pic_out(PIC1_DATA, PIC_MASK_ALL);
	pic_out(PIC2_DATA, PIC_MASK_ALL);
	kprintf("8259: remapped to vectors %#x-%#x, every line masked\n", PIC_VECTOR_BASE,
		PIC_VECTOR_BASE + 15);
}

/* ---- the vectors ---------------------------------------------------------- */

static void eoi(void)
{
	lapic_write(&lapic, LAPIC_REG_EOI, 0);
	stats.eoi++;
}

static void timer_interrupt(struct trap_frame *f)
{
	eoi();
	if (!(f->cs & 3)) {
		stats.timer_kernel++;
		return;
	}
	stats.timer_user++;
	if (user_fn)
		user_fn(f);
}

/* No EOI: a spurious interrupt sets no in-service bit (SDM vol. 3, 11.9). */
static void spurious_interrupt(struct trap_frame *f)
{
	(void)f;
	stats.spurious++;
}

/* ---- the timer ------------------------------------------------------------ */

/* A calibration in progress: the TSC and the count when it started. */
struct calibration {
	uint64_t t0;
	uint32_t c0;
};

/* Start the count down from TIMER_COUNT_START, masked. */
static void calibration_start(const struct lapic_regs *r, struct calibration *c)
{
	lapic_write(r, LAPIC_REG_LVT_TIMER, LVT_MASKED | LVT_ONESHOT | LAPIC_TIMER_VECTOR);
	lapic_write(r, LAPIC_REG_TIMER_DIV, TIMER_DIV_16);
	lapic_write(r, LAPIC_REG_TIMER_INIT, TIMER_COUNT_START);
	c->t0 = rdtsc();
	c->c0 = lapic_read(r, LAPIC_REG_TIMER_COUNT);
}

/* Once LAPIC_CALIBRATE_US of TSC time have passed since the start (at
 * once if they have), read the count, stop the timer and work out the
 * ticks per ms. */
static int calibration_finish(const struct lapic_regs *r, const struct calibration *c,
			      uint64_t tsc_hz, uint32_t *out)
{
	uint64_t window = tsc_hz / (1000000 / LAPIC_CALIBRATE_US), t1;
	uint32_t c1;

	do
		t1 = rdtsc();
	while (t1 - c->t0 < window);
	c1 = lapic_read(r, LAPIC_REG_TIMER_COUNT);
	t1 = rdtsc();
	lapic_write(r, LAPIC_REG_TIMER_INIT, 0);
	if (c->c0 == 0 || c1 == 0 || c1 >= c->c0)
		return E_IO;
	uint64_t per_ms = (uint64_t)(c->c0 - c1) * tsc_hz / ((t1 - c->t0) * US_PER_MS);
	if (per_ms == 0 || per_ms > TIMER_COUNT_START)
		return E_IO;
	*out = (uint32_t)per_ms;
	return E_OK;
}

int lapic_timer_calibrate(const struct lapic_regs *r, uint64_t tsc_hz, uint32_t *out)
{
	struct calibration c;

	if (!r->mmio && !r->x2apic)
		return E_NOENT;
	if (!tsc_hz)
		return E_INVAL;
	calibration_start(r, &c);
	return calibration_finish(r, &c, tsc_hz, out);
}

/* The boot's calibration: started by lapic_timer_init, finished by
 * lapic_timer_init_finish, with the boot's other work in between. */
static struct calibration boot_cal;

void lapic_timer_init(vaddr_t mmio, bool x2apic)
{
	lapic = (struct lapic_regs){ mmio, x2apic };
	pic_disable();
	if (!mmio && !x2apic)
		return;
	arch_set_irq_handler(LAPIC_TIMER_VECTOR, timer_interrupt);
	arch_set_irq_handler(LAPIC_SPURIOUS_VECTOR, spurious_interrupt);
	lapic_write(&lapic, LAPIC_REG_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	calibration_start(&lapic, &boot_cal);
}

void lapic_timer_init_finish(uint64_t tsc_hz)
{
	if (!lapic.mmio && !lapic.x2apic) {
		kprintf("lapic timer: no local APIC mapped: no timer interrupts\n");
		return;
	}
	int st = tsc_hz ? calibration_finish(&lapic, &boot_cal, tsc_hz, &ticks_per_ms) : E_INVAL;
	if (st != E_OK) {
		ticks_per_ms = 0;
		kprintf("lapic timer: not used: %s\n",
			st == E_INVAL ? "the TSC is not calibrated, nothing to count it against"
				      : "its count did not run down over the calibration window (broken)");
		return;
	}
	/* Armed one-shot by lapic_timer_oneshot; stopped (count 0) until then. */
	lapic_write(&lapic, LAPIC_REG_LVT_TIMER, LVT_ONESHOT | LAPIC_TIMER_VECTOR);
	kprintf("lapic timer: %u ticks per ms, divide %u, vector %#x, spurious %#x\n",
		ticks_per_ms, LAPIC_TIMER_DIVIDE, LAPIC_TIMER_VECTOR, LAPIC_SPURIOUS_VECTOR);
}

bool lapic_timer_ready(void)
{
	return ticks_per_ms != 0;
}

uint32_t lapic_timer_ticks_per_ms(void)
{
	return ticks_per_ms;
}

void lapic_timer_oneshot(uint64_t us)
{
	if (!ticks_per_ms)
		return;
	uint64_t count = us * ticks_per_ms / US_PER_MS;
	lapic_write(&lapic, LAPIC_REG_TIMER_INIT,
		    (uint32_t)(count == 0 ? 1 : MIN(count, (uint64_t)TIMER_COUNT_START)));
}

void lapic_timer_stop(void)
{
	if (!ticks_per_ms)
		return;
	lapic_write(&lapic, LAPIC_REG_TIMER_INIT, 0);
	__asm__ volatile("sti; nop; cli" : : : "memory");
}

void lapic_timer_set_user_handler(void (*fn)(struct trap_frame *f))
{
	user_fn = fn;
}

const struct lapic_stats *lapic_get_stats(void)
{
	return &stats;
}

bool lapic_in_service(unsigned vector)
{
	if (!lapic.mmio && !lapic.x2apic)
		return false;
	return lapic_read(&lapic, LAPIC_REG_ISR + (vector / 32) * 0x10) & (1u << (vector % 32));
}
