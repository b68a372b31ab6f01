"""The launch angle that lands a ball on a target, with air drag: Newton's method on the miss
``range(angle) - target`` (Gauss-Newton on the squared miss), with d range / d angle from
``np.value_and_grad`` through the whole simulation (a ``np.fori_loop`` of Heun (RK2) steps).

    python examples/projectile.py                      # a baseball at 50 m/s to 100 m
    NPFLOW_DEVICE=cuda python examples/projectile.py   # on the GPU

The ball obeys dv/dt = -g e_y - k |v| v (quadratic drag, k = rho C_d A / 2m per metre; a
baseball's k is about 0.006/m). The range is where the trajectory crosses y = 0, found on the
parabola through the last step above ground.
"""
import time

import npflow as np

G = 9.81  # m/s^2


def flight_range(angle, speed=50.0, drag=0.0061, duration=10.0, steps=1000):
    """Horizontal distance (m) at which a ball launched from the ground at ``angle`` (radians)
    and ``speed`` (m/s) comes down, simulated for ``duration`` seconds in ``steps`` fixed steps."""
    dt = duration / steps

    def accel(vx, vy):
        k_speed = drag * np.sqrt(vx * vx + vy * vy)
        return -k_speed * vx, -G - k_speed * vy

    def heun_step(x, y, vx, vy):
        ax, ay = accel(vx, vy)
        bx, by = accel(vx + dt * ax, vy + dt * ay)  # at the Euler predictor's velocity
        return (x + dt * vx + 0.5 * dt * dt * ax, y + dt * vy + 0.5 * dt * dt * ay,
                vx + 0.5 * dt * (ax + bx), vy + 0.5 * dt * (ay + by))

    def body(i, carry):
        state, last = carry
        state = heun_step(*state)
        above = state[1] > 0
        return state, tuple(np.where(above, new, old) for new, old in zip(state, last))

    start = (np.zeros(()), np.zeros(()), speed * np.cos(angle), speed * np.sin(angle))
    (_, y, _, _), (x0, y0, vx0, vy0) = np.fori_loop(0, steps, body, (start, start))
    if y > 0:
        raise ValueError(f"the ball is still in the air after {duration} s: raise duration")
    # the last step above ground, taken again: its mean accelerations give the parabola on
    # which the ball lands (exact without drag, third order in dt with it)
    _, _, vx1, vy1 = heun_step(x0, y0, vx0, vy0)
    ax, ay = (vx1 - vx0) / dt, (vy1 - vy0) / dt
    s = 2.0 * y0 / (np.sqrt(vy0 * vy0 - 2.0 * ay * y0) - vy0)  # y0 + vy0 s + ay s^2 / 2 = 0
    return x0 + vx0 * s + 0.5 * ax * s * s


def launch_angle(target, angle=0.3, tol=1e-12, max_iter=30, **sim):
    """Newton's method on range(angle) - target from the starting ``angle`` (the low, direct
    trajectory for a start below 45 degrees); returns (angle, miss in metres)."""
    range_and_slope = np.value_and_grad(flight_range)
    angle = np.asarray(angle, dtype=np.float64)
    for _ in range(max_iter):
        reach, slope = range_and_slope(angle, **sim)
        step = (reach - target) / slope
        angle = angle - step
        if abs(step) < tol:
            break
    return float(angle), abs(float(flight_range(angle, **sim)) - target)


def main(target=100.0, speed=50.0, drag=0.0061, duration=10.0, steps=1000):
    """Solve for the angle hitting ``target`` metres; returns (angle in radians, miss in metres)."""
    start = time.perf_counter()
    angle, miss = launch_angle(target, speed=speed, drag=drag, duration=duration, steps=steps)
    vacuum = 0.5 * np.arcsin(G * target / speed ** 2)
    print(f"projectile at {speed} m/s, drag k = {drag}/m, target {target} m ({steps} RK2 steps, "
          f"{np.get_default_device()}): launch at {np.degrees(angle):.4f} deg (without drag "
          f"{np.degrees(vacuum):.4f} deg), miss {miss:.2e} m, {time.perf_counter() - start:.1f} s")
    return angle, miss


if __name__ == "__main__":
    main()
