/* method.h — the method bits of a drift evaluation, shared by the report
 * (eval.h) and the verdict's calibration (calibrate.h) without either
 * including the other. */
#ifndef DD_METHOD_H
#define DD_METHOD_H

/* Method bits. */
enum dd_method {
    DD_M_KS = 1u << 0,
    DD_M_CHI2 = 1u << 1,
    DD_M_PSI = 1u << 2,
    DD_M_WASSERSTEIN = 1u << 3,
    DD_M_JS = 1u << 4,
    DD_M_COSINE = 1u << 5,
    DD_M_PCA_KS = 1u << 6,
    DD_M_PCA_RECON = 1u << 7,
    DD_M_MMD = 1u << 8,
};
#define DD_M_COUNT 9

#endif
