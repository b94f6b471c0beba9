# %% [markdown]
# # 04 · O registro de modelos
#
# Uma execução (run) guarda um modelo; o **registro de modelos (Model Registry)** dá a ele
# um nome, versões numeradas e um lugar no seu processo de publicação, para que o código
# possa pedir "o modelo de preços de produção" em vez de um id de execução. Esta lição
# executa os exemplos de registro da página do DataFlow Lab exatamente como estão escritos —
# registrar, transições de estágio (stage), carregar por versão e por estágio — e depois
# mostra o caminho que o MLflow recomenda hoje: aliases, tags e descrições, e um
# critério de promoção.
#
# **Você vai aprender** `register_model`; versões; estágios e por que estão obsoletos
# (deprecated); aliases (`@champion`, `@challenger`); tags e descrições em modelos e
# versões; `search_model_versions`; um critério de promoção que escolhe com dados de validação,
# à mão e depois com as ferramentas do próprio MLflow, `mlflow.models.evaluate` e
# `mlflow.validate_evaluation_results` (um `MetricThreshold` com margem), e informa a
# pontuação de teste uma única vez; `copy_model_version` do desenvolvimento para
# a produção, e o que ele realmente copia.
#
# **Tempo:** 30 minutos. **Pré-requisitos:** 01 · Rastreamento básico.
#
# **No mapa** (lição 00): versões de modelo e aliases: de um modelo logado até o `@champion`.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
model_name = "previsao_precos"

# %% [markdown]
# Esta lição *escolhe* um modelo, por isso precisa de três conjuntos de casas, não dois:
# **treinamento** para ajustar, **validação** para escolher (é nele que o critério de promoção
# compara) e **teste**, mantido fora de toda decisão e avaliado uma única vez, no final, para
# o modelo que mantivermos. `lab_utils.split_train_validation_test()` devolve os três; as
# casas de teste são as mesmas das lições 01–03.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error

split = lab_utils.split_train_validation_test()
X_train, X_validation, X_test = split.X_train, split.X_validation, split.X_test
y_train, y_validation, y_test = split.y_train, split.y_validation, split.y_test
print(f"{len(X_train)} casas de treinamento, {len(X_validation)} de validação, {len(X_test)} de teste")
mlflow.set_experiment("meu_experimento")
client = MlflowClient()


def rmse(model, X, y) -> float:
    return float(np.sqrt(mean_squared_error(y, model.predict(X))))


def train_and_log(alpha: float, l1_ratio: float, run_name: str):
    """Treina um ElasticNet nas casas de treinamento e o loga com seu RMSE de validação.

    Devolve as informações do modelo logado: seu `model_uri` é o modelo, `models:/m-…`."""
    with mlflow.start_run(run_name=run_name):
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=10_000).fit(X_train, y_train)
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
        mlflow.log_metric("validation_rmse", rmse(model, X_validation, y_validation))
        # Os dados das casas não têm valores ausentes: o aviso de colunas inteiras (lição 03) não acrescenta nada.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            info = mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                            signature=infer_signature(X_train, model.predict(X_train)))
    return info


baseline_model = train_and_log(alpha=1.0, l1_ratio=0.1, run_name="registry_baseline")

# %% [markdown]
# ## Os exemplos da página do DataFlow Lab, como estão escritos
#
# ### Registrando um modelo
# Depois de uma execução que logou um modelo chamado `model` (a célula acima),
# registre-o no registro de modelos:

# %%
# Após treinar e rastrear o modelo com uma execução
run_id = mlflow.last_active_run().info.run_id
model_uri = f"runs:/{run_id}/model"
model_details = mlflow.register_model(model_uri, "previsao_precos")

# %%
print(f"{model_details.name} versão {model_details.version}, da execução {model_details.run_id[:8]}…")
print("na UI:", lab_utils.model_url(lab, model_details.name, model_details.version))

# %% [markdown]
# O aviso acima é o MLflow 3 em ação: um modelo salvo com `log_model(name="model")` é
# guardado como um *modelo logado* (logged model, `models:/m-…`), e não como
# arquivos na pasta `model` da execução; por isso o `register_model` segue da execução até o
# modelo logado dela. O `source` da versão é essa URI `models:/m-…`. Mais abaixo,
# registramos diretamente a URI do modelo logado (`model_info.model_uri`,
# devolvida por `log_model`), que é o jeito do MLflow 3 e não imprime aviso.
#
# Cada registro com o mesmo nome acrescenta uma versão: 1 na primeira vez que você executa
# este notebook, 2 na seguinte, e assim por diante. Os exemplos abaixo usam a versão 1, que
# existe desde a primeira vez que você o executou.
#
# ### Transições de estágio

# %%
from mlflow.tracking import MlflowClient

client = MlflowClient()

# Promover modelo para staging
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Staging"
)

# Promover modelo para produção
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Production"
);

# %% [markdown]
# Os dois `FutureWarning` dizem que os estágios estão obsoletos desde o MLflow 2.9 e serão
# removidos: terminamos o exemplo da página e depois vemos o que os substitui. O `;` depois
# da última chamada é a forma do Jupyter de não exibir o que a última linha de uma célula
# devolve (aqui, um `ModelVersion` inteiro: a versão 1, agora no estágio `Production`).
#
# ### Carregando um modelo do registro

# %%
# Carregar modelo específico por versão
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/1")

# Carregar modelo de stage específico
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/Production")

# %% tags=["nbval-check-output"]
version_1 = client.get_model_version("previsao_precos", "1")
by_version = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/1")
print("estágio da versão 1:", version_1.current_stage)
print("mesmo modelo por versão e por estágio:", np.allclose(model.predict(X_test), by_version.predict(X_test)))

# %% [markdown]
# ### Ponto de verificação

# %%
checked = lab_utils.assert_model_version("previsao_precos", version=1)
assert checked.current_stage == "Production", f"a versão 1 está no estágio {checked.current_stage!r}"

# %% [markdown]
# ## Por que os estágios estão obsoletos, e o que os substitui
#
# Uma versão tem um único estágio, os quatro nomes de estágio são fixos, e uma transição não
# diz nada sobre o *porquê*. Eles são substituídos por três ferramentas mais simples:
#
# > **Alias** ("apelido", em inglês) — um nome que você dá a uma versão de um modelo do
# > registro, como um marcador de página. O código pede `models:/previsao_precos@champion` e recebe a versão
# > para a qual o marcador aponta hoje; mover o marcador muda o que esse código carrega, sem
# > editar o código.
#
# - **aliases**: ponteiros nomeados e móveis para uma versão (`@champion`, `@challenger`),
#   carregados como `models:/previsao_precos@champion`; quantos você precisar;
# - **tags**: fatos chave-valor sobre um modelo ou uma versão (`validation_status=approved`);
# - **descrições**: texto livre no modelo e em cada versão (a boa prática 6 da página).
#
# ## Aliases, tags e descrições

# %%
client.update_registered_model(
    model_name,
    description="Prevê o preço de venda (CAD) de uma casa em Windsor, no Canadá, a partir de 11 features. "
                "Treinado com o conjunto de dados de Anglin & Gençay (1996).",
)
client.set_registered_model_tag(model_name, "task", "regression")
client.set_registered_model_tag(model_name, "owner", "dataflow-lab")

baseline = mlflow.register_model(baseline_model.model_uri, model_name)
client.update_model_version(model_name, baseline.version,
                            description="Linha de base: ElasticNet alpha=1.0, l1_ratio=0.1")
client.set_model_version_tag(model_name, baseline.version, "validation_status", "approved")
client.set_registered_model_alias(model_name, "champion", baseline.version)

champion = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
print(f"@champion é a versão {baseline.version}")

# %% [markdown]
# ### Ponto de verificação

# %%
checked = lab_utils.assert_model_version(model_name, alias="champion")
assert checked.version == baseline.version
assert client.get_registered_model(model_name).description.startswith("Prevê o preço de venda")

# %% [markdown]
# ## Um critério de promoção
#
# Um modelo novo (o *desafiante*, challenger) só deve substituir o campeão (champion) quando
# for melhor nas casas de **validação**. O alias se move; o antigo campeão mantém sua
# versão, seu histórico e uma tag que diz qual versão o substituiu. O código que carrega
# `@champion` passa a usar o modelo novo sem nenhuma edição.
#
# Os ajustes do desafiante vêm da busca em grade da lição 02, refeita aqui só com as casas de
# **treino** desta lição. A lição 02 fez a validação cruzada com todas as casas menos as de
# teste, e elas incluem as casas de validação desta lição: um critério que depois compara
# nessas casas julgaria uma escolha que elas já ajudaram a fazer, e a favoreceria.

# %%
from sklearn.model_selection import GridSearchCV

# A grade da lição 02, com validação cruzada nas casas de treino: as de validação ficam de fora.
search = GridSearchCV(ElasticNet(max_iter=10_000), {"alpha": [0.1, 0.5, 1.0], "l1_ratio": [0.1, 0.5, 0.9]},
                      cv=5, scoring="neg_mean_squared_error").fit(X_train, y_train)
print("ajustes do desafiante, escolhidos nas casas de treino:", search.best_params_)
challenger_model = train_and_log(**search.best_params_, run_name="registry_challenger")
challenger = mlflow.register_model(challenger_model.model_uri, model_name)
client.set_registered_model_alias(model_name, "challenger", challenger.version)


def validation_rmse(uri: str) -> float:
    return rmse(mlflow.pyfunc.load_model(uri), X_validation, y_validation)


# O critério à mão: os dois modelos nas mesmas casas de validação; o menor RMSE vence.
champion_rmse = validation_rmse(f"models:/{model_name}@champion")
challenger_rmse = validation_rmse(f"models:/{model_name}@challenger")
print(f"à mão: campeão {lab_utils.format_number(champion_rmse)} CAD · desafiante "
      f"{lab_utils.format_number(challenger_rmse)} CAD · o desafiante é menor: {challenger_rmse < champion_rmse}")

# %% [markdown]
# ### O critério do próprio MLflow
#
# Essas poucas linhas são toda a ideia de um critério de promoção, e o MLflow já o traz, com
# mais:
#
# - `mlflow.models.evaluate(model_uri, data, model_type="regressor")` carrega o modelo como
#   um cliente faria, avalia-o num conjunto de dados e loga as métricas
#   (`root_mean_squared_error`, `mean_absolute_error`, `r2_score`, …) na execução ativa;
#   dada a URI de um modelo logado, `models:/m-…` (o `source` de uma versão), também as loga
#   nesse modelo logado, ligadas ao nome do conjunto de dados. A lição 05 o usa de novo, com gráficos, para
#   informar uma pontuação de teste.
# - `mlflow.validate_evaluation_results(thresholds, candidate_result, baseline_result)`
#   compara o resultado do desafiante com o do campeão segundo um `MetricThreshold` por
#   métrica: `greater_is_better` dá a direção (num RMSE, menor é melhor), `threshold` um
#   limite absoluto, `min_absolute_change` ou `min_relative_change` uma **margem** pela qual o
#   desafiante precisa vencer. Ele retorna quando todos os limites se cumprem e lança
#   `ModelValidationFailedException`, dizendo cada um que falhou, quando algum não se cumpre.
#
# O que ele faz por você: a direção da métrica e a margem são declaradas, não programadas; as
# duas pontuações ficam logadas, cada uma numa execução própria (`gate_champion_v…`,
# `gate_challenger_v…`), então a decisão deixa registro; e a mensagem diz por que um
# desafiante foi recusado. Aqui, um desafiante precisa baixar o RMSE de validação do campeão
# em pelo menos 2%. (O `evaluate` acrescentaria gráficos SHAP, devagar, para um regressor:
# estão desligados, `log_model_explainability`. As linhas INFO dizem a que modelo logado ele
# liga as métricas, o *active model*, e que ele liga o tracing enquanto roda. O aviso das
# colunas inteiras é silenciado, como em `train_and_log`.)

# %%
from mlflow.models import MetricThreshold
from mlflow.models.evaluation.validation import ModelValidationFailedException

validation_data = mlflow.data.from_pandas(X_validation.assign(price=y_validation), targets="price", name="validation")


def evaluate_on_validation(name: str, alias: str):
    """Avalia nas casas de validação a versão para a qual `alias` aponta, numa execução própria."""
    version = client.get_model_version_by_alias(name, alias)
    with mlflow.start_run(run_name=f"gate_{alias}_v{version.version}"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        # O source da versão é o modelo logado dela, models:/m-…: as métricas ficam ligadas a ele também.
        return mlflow.models.evaluate(version.source, validation_data, model_type="regressor",
                                      evaluator_config={"log_model_explainability": False})


def promote(name: str) -> None:
    """Move @champion para a versão de @challenger; o antigo campeão guarda uma tag com o sucessor."""
    old = client.get_model_version_by_alias(name, "champion")
    new = client.get_model_version_by_alias(name, "challenger")
    client.set_model_version_tag(name, old.version, "replaced_by", new.version)
    client.set_model_version_tag(name, new.version, "validation_status", "approved")
    client.set_registered_model_alias(name, "champion", new.version)
    client.delete_registered_model_alias(name, "challenger")
    print(f"@champion passou da versão {old.version} para a versão {new.version}")


baseline_result = evaluate_on_validation(model_name, "champion")
candidate_result = evaluate_on_validation(model_name, "challenger")
# A margem: o desafiante precisa baixar o RMSE de validação do campeão em pelo menos 2%.
thresholds = {"root_mean_squared_error": MetricThreshold(min_relative_change=0.02, greater_is_better=False)}
try:
    mlflow.validate_evaluation_results(thresholds, candidate_result, baseline_result)
except ModelValidationFailedException as refused:
    print("o campeão continua:", refused.message)
    promoted = False
else:
    promote(model_name)
    promoted = True

# %% [markdown]
# Uma margem é uma política, e 2% é pouco: o quadro da lição 02 mostrou que uma pontuação
# medida em cerca de cem casas varia mais do que isso de um sorteio de casas para outro. Os
# mesmos dois resultados, contra uma margem do tamanho da dispersão entre folds do desafiante
# na busca acima (o desvio padrão do RMSE dele nos cinco folds), não precisam de nova
# avaliação:

# %%
fold_rmse = np.sqrt(-np.array([search.cv_results_[f"split{i}_test_score"][search.best_index_] for i in range(5)]))
strict = {"root_mean_squared_error": MetricThreshold(min_absolute_change=float(fold_rmse.std()), greater_is_better=False)}
print(f"vantagem do desafiante {lab_utils.format_number(champion_rmse - challenger_rmse)} CAD · "
      f"dispersão entre folds {lab_utils.format_number(fold_rmse.std())} CAD")
try:
    mlflow.validate_evaluation_results(strict, candidate_result, baseline_result)
    print("passou também pela margem estrita")
except ModelValidationFailedException as refused:
    print("recusado:", refused.message)

# %% [markdown]
# A vantagem do desafiante é de mais ou menos uma dispersão entre folds: nestes dados ele
# provavelmente é um pouco melhor, e não mostrou nem que não é pior: uma vantagem de uma
# dispersão entre folds está dentro do ruído de um sorteio de casas para outro. Que margem pedir é
# uma escolha com custo: uma grande deixa de fora bons desafiantes, uma pequena deixa entrar o
# ruído; mais casas de validação diminuem o ruído e, com ele, a margem de que um critério
# precisa. Esta lição fica com a decisão do critério de 2%.

# %% [markdown]
# ### Ponto de verificação
# O alias foi para a versão do desafiante; o antigo campeão continua lá, com uma tag. A
# avaliação está no servidor: uma execução por modelo, e o modelo logado do desafiante guarda o
# RMSE de validação dele, ligado ao conjunto de dados `validation`.

# %%
now_champion = lab_utils.assert_model_version(model_name, alias="champion")
assert promoted and now_champion.version == challenger.version
old_champion = client.get_model_version(model_name, baseline.version)
assert old_champion.tags.get("replaced_by") == challenger.version
print(f"✓ versão {baseline.version} mantida, com a tag replaced_by={old_champion.tags['replaced_by']}")
gate_run = mlflow.search_runs(experiment_names=["meu_experimento"], output_format="list",
                              filter_string=f"attributes.run_name = 'gate_challenger_v{challenger.version}'")[0]
checked = lab_utils.assert_run_logged(gate_run.info.run_id, metrics=["root_mean_squared_error", "r2_score"])
on_model = {metric.key: metric for metric in mlflow.get_logged_model(challenger_model.model_id).metrics}
assert on_model["root_mean_squared_error"].dataset_name == "validation", on_model["root_mean_squared_error"]
print(f"✓ o modelo logado do desafiante: root_mean_squared_error "
      f"{lab_utils.format_number(on_model['root_mean_squared_error'].value)} CAD no conjunto de dados 'validation'")

# %% [markdown]
# > **Avisando outros sistemas de que o `@champion` se moveu.** O MLflow 3 tem webhooks do
# > registro: `MlflowClient().create_webhook(name, url, events=["model_version_alias.created"],
# > secret=...)` faz o servidor enviar um POST para `url` sempre que um alias é definido,
# > assinado com HMAC-SHA256 no cabeçalho `X-MLflow-Signature`, para que quem recebe confira
# > que veio deste servidor. O laboratório não roda nenhum: por padrão, o servidor só aceita
# > URLs `https://` em endereços públicos (a proteção dele contra ser usado para alcançar
# > serviços internos), e aceitar um receptor local exige `MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http`
# > e `MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true` no servidor — o que, num workshop, deixaria
# > qualquer participante fazê-lo chamar os serviços da própria máquina do laboratório. Com um
# > receptor HTTPS de verdade (um sistema de CI, um canal de chat), é só essa chamada.

# %% [markdown]
# ## A pontuação de teste, uma única vez
#
# O critério *usou* as casas de validação para escolher, então o RMSE de validação do campeão
# é um pouco otimista: entre vários modelos, o vencedor é em parte aquele que teve sorte
# nessas casas. As casas de teste não participaram de nenhuma decisão; avaliadas uma única
# vez agora, para o modelo que mantemos, elas dão uma estimativa honesta do erro dele em
# casas novas. Logamos esse valor na execução do campeão como `test_rmse`. (Se você
# escolher de novo por causa desse número, o conjunto de teste vira apenas mais um conjunto
# de validação.)

# %%
champion_version = client.get_model_version_by_alias(model_name, "champion")
test_rmse = rmse(mlflow.pyfunc.load_model(f"models:/{model_name}@champion"), X_test, y_test)
client.log_metric(champion_version.run_id, "test_rmse", test_rmse)

# %% tags=["nbval-check-output"]
champion_run = client.get_run(champion_version.run_id)
print(f"campeão: {champion_run.info.run_name} (alpha={champion_run.data.params['alpha']}, "
      f"l1_ratio={champion_run.data.params['l1_ratio']})")
print(f"RMSE de validação {lab_utils.format_number(champion_run.data.metrics['validation_rmse'])} CAD (usado para escolher)")
print(f"RMSE de teste     {lab_utils.format_number(champion_run.data.metrics['test_rmse'])} CAD (informado uma única vez)")

# %% [markdown]
# ## Encontrando versões
#
# `search_model_versions` filtra por nome, id de execução e tags; o modelo no registro sabe
# para qual versão cada alias aponta.

# %%
import pandas as pd

versions = client.search_model_versions(f"name = '{model_name}'", order_by=["version_number DESC"],
                                        max_results=10)
aliases = client.get_registered_model(model_name).aliases  # {"champion": "3", ...}
pd.DataFrame([{"versão": v.version, "aliases": [a for a, n in aliases.items() if n == v.version],
               "estágio": v.current_stage, "status": v.tags.get("validation_status", ""),
               "execução": v.run_id[:8]} for v in versions])

# %% [markdown]
# Na UI (**Models**, depois `previsao_precos`), a página do modelo registrado mostra as mesmas
# versões, com as tags e os aliases delas, abaixo da descrição e das tags do modelo. Esta
# captura de tela foi feita depois de todas as lições rodarem em um laboratório novo, então
# ela também mostra a versão que a lição 09 acrescenta e uma tag `reviewed_by` como a que o
# Exercício 1 pede:
#
# ![O modelo registrado previsao_precos na UI do MLflow](../../docs/screenshots/05_registered_model.png)
#
# A versão que o exemplo da página registrou (a 1, na primeira passagem) continua no estágio
# `Production`, enquanto `@champion` aponta para a versão do desafiante. Estágios e aliases
# são dois mecanismos separados, e o MLflow não mantém nenhum vínculo entre eles:
# `models:/previsao_precos/Production` ainda carrega a versão 1, e
# `models:/previsao_precos@champion`, o campeão. O estágio sobrou do exemplo da página; esta
# lição não faz mais transições de estágio (obsoletas). Uma equipe que passa de estágios para
# aliases usa um dos dois e aposenta o outro: o código carrega `@champion`, e a antiga versão
# `Production` é arquivada (uma tag, ou uma última transição para `Archived`) para que
# ninguém a confunda com o modelo em serviço.
#
# ## Arquivamento, e desenvolvimento versus produção
#
# Uma promoção nunca apaga uma versão. Para aposentar uma versão, coloque uma tag nela (e,
# com estágios, mova-a para `Archived`). Muitas equipes mantêm dois modelos no registro: um
# de desenvolvimento, onde cai todo candidato, e um de produção, que recebe apenas versões
# aprovadas. `copy_model_version` cria uma nova versão do modelo de produção cujo `source` é
# `models:/previsao_precos_dev/<version>`: ela mantém a execução, as tags e a descrição da
# versão de desenvolvimento e **aponta para os mesmos arquivos — nada é copiado**.

# %%
client.set_model_version_tag(model_name, baseline.version, "archived", "true")

dev_name = "previsao_precos_dev"
dev_version = mlflow.register_model(challenger_model.model_uri, dev_name)
production_name = "previsao_precos_producao"
copied = client.copy_model_version(f"models:/{dev_name}/{dev_version.version}", production_name)
client.set_registered_model_alias(production_name, "champion", copied.version)
print(f"{dev_name} v{dev_version.version} copiado para {production_name} v{copied.version}")
print("origem da cópia:", copied.source)

# %% [markdown]
# ### Ponto de verificação
# O registro diz onde ficam os arquivos de cada versão: os da cópia são os da versão de
# desenvolvimento.

# %%
checked = lab_utils.assert_model_version(production_name, alias="champion")
dev_files = client.get_model_version_download_uri(dev_name, dev_version.version)
copy_files = client.get_model_version_download_uri(production_name, copied.version)
assert copy_files == dev_files and copied.run_id == dev_version.run_id
print("✓ a cópia e a versão de desenvolvimento compartilham uma execução e um conjunto de arquivos")

# %% [markdown]
# O que isso significa na hora de fazer limpeza:
#
# - **Apagar a versão de desenvolvimento** (`client.delete_model_version`) não apaga nenhum
#   arquivo, mas o `source` da cópia passa a nomear uma versão que não existe mais: a
#   descrição e as tags da cópia viram a única pista de onde ela veio, e uma ferramenta
#   que segue o `source` não encontra nada. Arquive a versão de desenvolvimento com uma tag
#   em vez de apagá-la.
# - **Apagar os arquivos** quebra as duas versões. No MLflow 3 eles pertencem ao *modelo
#   logado*, em `<experiment id>/models/<m-id>/artifacts/` no bucket (lição 01),
#   e não à execução dele. `client.delete_logged_model(model_id)` o marca como apagado;
#   depois, `mlflow gc`, executado do lado do servidor (`--backend-store-uri` indica o seu
#   armazenamento de metadados) com `MLFLOW_TRACKING_URI` definida para alcançar os artefatos
#   via proxy, remove os arquivos e os metadados dele. Sem ids, o `gc` elimina toda execução,
#   todo modelo logado e todo experimento apagados; `--logged-model-ids m-…` limita os modelos que
#   ele elimina, e só eles: as execuções eliminadas são limitadas apenas por `--run-ids`, então,
#   sem ele, toda execução apagada vai junto. Ele não verifica se uma versão registrada ainda
#   aponta para o modelo. Apagar a *execução* em vez disso (`client.delete_run` e depois
#   `mlflow gc`) remove os metadados da execução e a pasta de artefatos dela
#   (`<experiment id>/<run id>/artifacts/`), e deixa o modelo logado e seus arquivos.
#
# A sequência que remove os arquivos de um modelo logado (não executada aqui:
# quebraria o campeão):
#
# ```python
# client.delete_logged_model("m-…")  # marcado como apagado: os arquivos continuam no bucket
# ```
#
# ```bash
# eval "$(lab env)"  # MLFLOW_TRACKING_URI, para que o gc alcance os artefatos via proxy
# mlflow gc --backend-store-uri sqlite:///.lab/mlflow/mlflow.db --logged-model-ids m-…
# ```

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Adicione à versão `@champion` atual de `previsao_precos` uma descrição que contenha a
# palavra *campeão* (ou `champion`) e uma tag de versão `reviewed_by` com o seu nome. Coloque o número da
# versão (uma string) em `described_version`.

# %% tags=["exercise"]
described_version = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `client.get_model_version_by_alias(model_name, "champion")` dá a versão;
# `client.update_model_version(..., description=...)` e `client.set_model_version_tag`
# a alteram no servidor.
#
# </details>

# %% tags=["solution"]
described_version = client.get_model_version_by_alias(model_name, "champion").version
client.update_model_version(model_name, described_version,
                            description="Campeão atual: ElasticNet alpha=0.1, l1_ratio=0.9")
client.set_model_version_tag(model_name, described_version, "reviewed_by", "ada")

# %% tags=["check-exercise"]
if lab_utils.attempted(described_version, "Exercício 1"):
    from lab_utils.grading import lesson_04
    lesson_04.check_exercise_1(described_version, model_name)

# %% [markdown]
# ### Exercício 2
# Carregue o campeão **pelo alias** e dê preço às cinco primeiras casas de teste
# (`X_test.head()`). Salve isso em uma execução chamada `champion_check`: as previsões,
# como lista, no artefato (artifact) `predictions.json` (`{"predictions": [...]}`), e uma tag
# `model_version` com a versão para a qual o alias apontava. Coloque o id da execução em
# `check_run_id`.

# %% tags=["exercise"]
check_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.pyfunc.load_model(f"models:/{model_name}@champion")` carrega pelo alias e
# `client.get_model_version_by_alias` informa a versão; dentro de
# `mlflow.start_run(run_name=...)`, use `mlflow.log_dict` e `mlflow.set_tag`.
#
# </details>

# %% tags=["solution"]
champion_model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
with mlflow.start_run(run_name="champion_check") as check_run:
    mlflow.set_tag("model_version", client.get_model_version_by_alias(model_name, "champion").version)
    mlflow.log_dict({"predictions": champion_model.predict(X_test.head()).tolist()}, "predictions.json")
check_run_id = check_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(check_run_id, "Exercício 2"):
    from lab_utils.grading import lesson_04
    lesson_04.check_exercise_2(check_run_id, model_name, X_test)

# %% [markdown]
# ## Resumo
#
# - `register_model` transforma um modelo logado em uma versão numerada de um
#   modelo com nome.
# - Os estágios ainda funcionam, mas estão obsoletos: use aliases para apontar para versões,
#   tags para anotar fatos e descrições para documentar.
# - Carregue `models:/name/3`, `models:/name@champion` — nunca um id de execução em código
#   de produção.
# - Promova por meio de um critério que compara em dados de validação — o do próprio MLflow:
#   `mlflow.models.evaluate` para o campeão e o desafiante, depois
#   `mlflow.validate_evaluation_results` com uma margem em `MetricThreshold`; mantenha a
#   versão antiga; avalie nas casas de teste uma única vez, para o modelo que você mantém.
# - `copy_model_version` registra os mesmos arquivos sob outro nome: nada é copiado.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/) —
#   aliases, tags e a migração para deixar os estágios
# - [Avaliação de modelos (Model evaluation)](https://mlflow.org/docs/latest/ml/evaluation/) —
#   `mlflow.models.evaluate` e a validação de um candidato contra uma referência com `MetricThreshold`
# - [`MlflowClient.copy_model_version`](https://mlflow.org/docs/latest/python_api/mlflow.client.html#mlflow.client.MlflowClient.copy_model_version)
#
# ## Verifique o que aprendeu
#
# 1. Um código carrega `models:/previsao_precos@champion`. O que muda para esse código
#    quando o critério promove um desafiante, e o que você muda no código?
# 2. Por que o critério compara nas casas de validação e não nas de teste, e por que a
#    pontuação de teste é calculada uma única vez, depois da escolha?
# 3. O que substitui uma transição de estágio para `Archived`, e por que isso é melhor?
# 4. Depois de `copy_model_version`, você apaga a versão de desenvolvimento. O que acontece
#    com os arquivos da cópia de produção e com o `source` dela? O que a quebraria?
# 5. O critério do MLflow aprovou o desafiante com uma margem de 2% e o recusou com uma margem
#    do tamanho da dispersão entre folds. O que cada decisão diz sobre o desafiante, e o que
#    permitiria confiar numa margem menor?

# %% [markdown] tags=["solution"]
# 1. Nada no código: ele carrega a versão para a qual `@champion` aponta, agora a do
#    desafiante. Só o alias mudou, no servidor.
# 2. Uma pontuação usada para escolher é otimista: o vencedor é em parte o modelo que teve
#    sorte naquelas casas. Casas de teste que não participaram de nenhuma decisão dão uma
#    estimativa honesta; use-as para escolher de novo e elas deixam de ser um conjunto de
#    teste.
# 3. Uma tag (`archived=true`) e uma descrição, além de remover qualquer alias que
#    apontasse para a versão: uma versão pode ter muitas tags e aliases, e eles dizem o
#    porquê, enquanto um estágio é uma única palavra fixa.
# 4. Os arquivos continuam lá: são os da versão de desenvolvimento, e apagar uma versão não
#    apaga nenhum arquivo. Mas o `source` da cópia passa a apontar para uma versão que não
#    existe mais; por isso, arquive (com uma tag) a versão de desenvolvimento em vez de
#    apagá-la. O que quebra as duas versões é apagar o modelo logado que contém os
#    arquivos (`client.delete_logged_model`) e depois executar `mlflow gc`
#    (`--logged-model-ids` escolhe esse modelo). Apagar a execução dele não quebraria: o `gc`
#    remove a pasta de artefatos da própria execução, e o MLflow 3 guarda os arquivos de um
#    modelo logado em `<experiment id>/models/<m-id>/artifacts/`.
# 5. O critério de 2% diz que o RMSE de validação dele é pelo menos 2% menor nestas casas:
#    provavelmente é um pouco melhor, sem prova. A recusa diz que a vantagem dele está dentro do
#    ruído de um fold para outro: ele não mostrou que é melhor. Mais casas de validação diminuem o
#    ruído; então uma margem menor passa a dizer o mesmo.

# %% [markdown]
# Próxima: **05 · MLflow Models, parte 1: do que um modelo é feito**; a parte 2 o serve via REST.
